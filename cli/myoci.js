#!/usr/bin/env node
// Entry for `npx myoci`. Uses the compiled CLI in bin/ (`npm run build`) when it is newer than every source
// file; otherwise runs the TypeScript through ts-node (transpile only), which costs a few hundred ms at start.
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const stamp = path.join(root, "bin", ".build-stamp");
const SOURCE_DIRS = ["catalog", "config", "components", "program", "cli", "policy"];

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "tests") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  try {
    const built = fs.statSync(stamp).mtimeMs;
    return SOURCE_DIRS.every((dir) => newestSource(path.join(root, dir)) <= built);
  } catch {
    return false;
  }
}

let main;
if (compiledIsFresh()) {
  main = require(path.join(root, "bin", "cli", "main.js")).main;
} else {
  require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  main = require("./main").main;
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`myoci: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
