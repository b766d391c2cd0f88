#!/usr/bin/env node
// Entry for `npx myoci`: the compiled CLI in bin/ when the build is fresh, otherwise the TypeScript via ts-node.
// V8's code cache on disk (Node ≥ 22.1): later runs skip compiling the CLI and its dependencies.
require("node:module").enableCompileCache?.();
const path = require("node:path");
const { compiledEntry, registerTsNode } = require("../scripts/compiled");

const compiled = compiledEntry(path.join(__dirname, "main.ts"));
if (compiled === null) registerTsNode();
const { main } = require((compiled !== null && bundleFor(compiled, process.argv[2])) || compiled || "./main");

/** bin/cli/bundle/<command>.js (main plus that command's graph in one file), unless node_modules changed since. */
function bundleFor(compiledMain, command) {
  // `--help` is answered by main from the command specs: no command graph to load.
  if (command === undefined || !/^[a-z][a-z-]*$/.test(command) || process.argv.includes("--help") || process.argv.includes("-h")) return null;
  const file = path.join(path.dirname(compiledMain), "bundle", `${command}.js`);
  const fs = require("node:fs");
  try {
    const built = fs.statSync(file).mtimeMs;
    const installed = fs.statSync(path.join(__dirname, "..", "node_modules", ".package-lock.json"), { throwIfNoEntry: false });
    return installed === undefined || installed.mtimeMs <= built ? file : null;
  } catch {
    return null;
  }
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
