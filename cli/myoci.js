#!/usr/bin/env node
// Entry for `npx myoci`: the command's bundle (bin/cli/bundle/<command>.js, with a V8 code cache) or the compiled
// CLI in bin/ when the build is fresh for what runs, otherwise the TypeScript via ts-node (scripts/compiled.js).
// Node's compile cache (Node ≥ 22.1) serves everything loaded outside a bundle.
require("node:module").enableCompileCache?.();
const { cliEntry, loadBundle, registerTsNode } = require("../scripts/compiled");

const argv = process.argv.slice(2);
// `--help` is answered by main from the command specs: no command graph to load.
const entry = cliEntry(argv[0], argv.includes("--help") || argv.includes("-h"));
let main;
let saveCache;
if (entry?.bundle !== undefined) {
  const loaded = loadBundle(entry.bundle, entry.sha256);
  ({ main } = loaded.exports);
  saveCache = loaded.save;
} else {
  if (entry === null) registerTsNode();
  ({ main } = require(entry?.main ?? "./main"));
}
main(argv).then(
  (code) => {
    process.exitCode = code;
    saveCache?.(code < 2);
  },
  (error) => {
    process.stderr.write(`myoci: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
    saveCache?.(false);
  },
);
