#!/usr/bin/env node
// Runs a TypeScript entry point as the main module, passing the remaining arguments: its compiled twin in bin/
// when the build is fresh (fast start), otherwise the TypeScript through ts-node (transpile only).
const path = require("node:path");
const Module = require("node:module");
const { compiledEntry, registerTsNode } = require("./compiled");

const [entry, ...args] = process.argv.slice(2);
const compiled = compiledEntry(entry);
if (compiled === null) registerTsNode();
process.argv = [process.argv[0], compiled ?? path.resolve(entry), ...args];
Module.runMain();
