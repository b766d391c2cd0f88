#!/usr/bin/env node
// `npm run build`: compiles the program, CLI and policy pack to bin/ (tsconfig.build.json), gives the compiled pack
// its package.json (the PolicyPack reads its version there; `main` is the JS entry), bundles each CLI command's
// graph into bin/cli/bundle/<command>.js (one file to load: see scripts/bundle.js), then stamps the build.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { bundle } = require("./bundle");
const { ROOT, STAMP } = require("./compiled");

const started = new Date();
// A clean output tree: a module moved or deleted in the sources leaves no stale twin behind.
fs.rmSync(path.join(ROOT, "bin"), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "package.json"), "utf8"));
fs.writeFileSync(path.join(ROOT, "bin", "policy", "package.json"), `${JSON.stringify({ ...pack, main: "index.js" }, null, 2)}\n`);
fs.copyFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), path.join(ROOT, "bin", "policy", "PulumiPolicy.yaml"));
const commands = path.join(ROOT, "bin", "cli", "commands");
fs.rmSync(path.join(ROOT, "bin", "cli", "bundle"), { recursive: true, force: true });
for (const file of fs.readdirSync(commands).filter((name) => name.endsWith(".js"))) {
  const out = path.join(ROOT, "bin", "cli", "bundle", file);
  bundle(ROOT, path.join(ROOT, "bin", "cli", "main.js"), [path.join(commands, file)], out);
}
// The stamp carries the time the compile started: a source saved during the build stays newer than it.
fs.writeFileSync(STAMP, started.toISOString());
fs.utimesSync(STAMP, started, started);
