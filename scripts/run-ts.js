#!/usr/bin/env node
// Runs a TypeScript entry point with ts-node (transpile only), passing the remaining arguments through.
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
const [entry, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
