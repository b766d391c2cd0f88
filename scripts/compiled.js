// The compiled twin of a TypeScript file in bin/ (`npm run build`), when it is newer than every source file;
// otherwise null, and the caller runs the TypeScript through ts-node.
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const STAMP = path.join(ROOT, "bin", ".build-stamp");
const SOURCE_DIRS = ["catalog", "config", "components", "program", "cli", "policy"];
const ROOT_SOURCES = ["index.ts", "platform.ts"];

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
    const built = fs.statSync(STAMP).mtimeMs;
    return (
      SOURCE_DIRS.every((dir) => newestSource(path.join(ROOT, dir)) <= built) &&
      ROOT_SOURCES.every((file) => fs.statSync(path.join(ROOT, file)).mtimeMs <= built)
    );
  } catch {
    return false;
  }
}

/** bin/<relative>.js for <relative>.ts under the repository, if the build is fresh. */
function compiledEntry(tsFile) {
  const relative = path.relative(ROOT, path.resolve(tsFile)).replace(/\.ts$/, ".js");
  const js = path.join(ROOT, "bin", relative);
  return compiledIsFresh() && fs.existsSync(js) ? js : null;
}

function registerTsNode() {
  require("ts-node").register({ transpileOnly: true, project: path.join(ROOT, "tsconfig.json") });
}

module.exports = { ROOT, STAMP, compiledEntry, registerTsNode };
