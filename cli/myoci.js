#!/usr/bin/env node
// Entry for `npx myoci`: runs the TypeScript CLI through ts-node (transpile only: fast start).
require("ts-node").register({ transpileOnly: true, project: require("node:path").join(__dirname, "..", "tsconfig.json") });
require("./main").main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`myoci: ${error instanceof Error ? error.message : String(error)}\n`); process.exitCode = 2; },
);
