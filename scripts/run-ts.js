#!/usr/bin/env node
// Runs a TypeScript entry point with ts-node (transpile only) as the main module, passing the remaining arguments.
const path = require("node:path");
const Module = require("node:module");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
const [entry, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], path.resolve(entry), ...args];
Module.runMain();
