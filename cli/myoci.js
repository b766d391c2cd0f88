#!/usr/bin/env node
// Entry for `npx myoci`: the compiled CLI in bin/ when the build is fresh, otherwise the TypeScript via ts-node.
const path = require("node:path");
const { compiledEntry, registerTsNode } = require("../scripts/compiled");

const compiled = compiledEntry(path.join(__dirname, "main.ts"));
if (compiled === null) registerTsNode();
const { main } = require(compiled ?? "./main");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`myoci: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
