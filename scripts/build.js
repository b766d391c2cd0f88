#!/usr/bin/env node
// `npm run build`: compiles the program, CLI and policy pack to bin/ (tsconfig.build.json), gives the compiled pack
// its package.json (the PolicyPack reads its version there; `main` is the JS entry), bundles each CLI command's
// graph into bin/cli/bundle/<command>.js (one file to load: see scripts/bundle.js), then stamps the build.
const { execFileSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { bundle, collect } = require("./bundle");
const { MANIFEST, ROOT, STAMP } = require("./compiled");

/** The files a graph was built from, relative to ROOT: a bin/ module's TypeScript twin; node_modules is left out. */
function sourcesOf(files) {
  const sources = new Set();
  for (const file of files) {
    const rel = path.relative(ROOT, file).split(path.sep).join("/");
    if (rel.split("/").includes("node_modules")) continue;
    const twin = rel.replace(/^bin\//, "").replace(/\.js$/, ".ts");
    sources.add(rel.startsWith("bin/") && fs.existsSync(path.join(ROOT, twin)) ? twin : rel.replace(/^bin\//, ""));
  }
  return [...sources].sort();
}

const started = new Date();
// A clean output tree: a module moved or deleted in the sources leaves no stale twin behind.
fs.rmSync(path.join(ROOT, "bin"), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "package.json"), "utf8"));
fs.writeFileSync(path.join(ROOT, "bin", "policy", "package.json"), `${JSON.stringify({ ...pack, main: "index.js" }, null, 2)}\n`);
fs.copyFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), path.join(ROOT, "bin", "policy", "PulumiPolicy.yaml"));
const commands = path.join(ROOT, "bin", "cli", "commands");
fs.rmSync(path.join(ROOT, "bin", "cli", "bundle"), { recursive: true, force: true });
// The manifest: each bundle's sources (and main's own graph, for help), so a run checks only those for freshness.
const bundles = { main: { sources: sourcesOf(collect([path.join(ROOT, "bin", "cli", "main.js")]).keys()) } };
for (const file of fs.readdirSync(commands).filter((name) => name.endsWith(".js"))) {
  const out = path.join(ROOT, "bin", "cli", "bundle", file);
  const sources = sourcesOf(bundle(ROOT, path.join(ROOT, "bin", "cli", "main.js"), [path.join(commands, file)], out));
  // The bundle's content hash names its V8 code cache (scripts/compiled.js: loadBundle).
  bundles[path.basename(file, ".js")] = { sources, sha256: createHash("sha256").update(fs.readFileSync(out)).digest("hex") };
}
fs.writeFileSync(MANIFEST, `${JSON.stringify({ bundles }, null, 1)}\n`);
// The stamp carries the time the compile started: a source saved during the build stays newer than it.
fs.writeFileSync(STAMP, started.toISOString());
fs.utimesSync(STAMP, started, started);
