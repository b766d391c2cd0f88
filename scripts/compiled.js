// The compiled twin of a TypeScript file in bin/ (`npm run build`), when it is newer than its sources; otherwise
// null, and the caller runs the TypeScript through ts-node. For the CLI, the build's manifest
// (bin/cli/bundle/manifest.json) lists the sources of each command's graph, so a run stats those few files only;
// a command's bundle is loaded with a V8 code cache taken after a whole run (see loadBundle).
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const STAMP = path.join(ROOT, "bin", ".build-stamp");
const BUNDLES = path.join(ROOT, "bin", "cli", "bundle");
const MANIFEST = path.join(BUNDLES, "manifest.json");
const INSTALLED = path.join(ROOT, "node_modules", ".package-lock.json");
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

function builtAt() {
  return fs.statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs;
}

/** Every source of the program (a build-wide answer, for entries the manifest does not cover). */
function compiledIsFresh() {
  try {
    const built = builtAt();
    return (
      built !== undefined &&
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

/**
 * How `myoci <command>` runs: `{ bundle }` (one file: the command's graph, node_modules included), `{ main }` (the
 * compiled tree, e.g. for --help, or when node_modules changed after the build) or null (a source of the graph is
 * newer than the build: ts-node). The graph's sources are the manifest's list for the command (`main` for help,
 * version, completion and unknown names); a source changed, added to or deleted from the graph changes a file of it.
 */
function cliEntry(command, helpOnly) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, "utf8"));
  } catch {
    // A build without a manifest: every source must be older than the build.
    return compiledIsFresh() ? { main: path.join(ROOT, "bin", "cli", "main.js") } : null;
  }
  const name = !helpOnly && typeof command === "string" && Object.hasOwn(manifest.bundles, command) ? command : "main";
  const built = builtAt();
  if (built === undefined) return null;
  for (const source of manifest.bundles[name].sources) {
    const stat = fs.statSync(path.join(ROOT, source), { throwIfNoEntry: false });
    if (stat === undefined || stat.mtimeMs > built) return null;
  }
  if (name === "main") return { main: path.join(ROOT, "bin", "cli", "main.js") };
  // node_modules is inside the bundle: a later `npm install` (or one with no lock record) means the compiled tree.
  const installed = fs.statSync(INSTALLED, { throwIfNoEntry: false });
  return installed !== undefined && installed.mtimeMs <= built
    ? { bundle: path.join(BUNDLES, `${name}.js`), sha256: manifest.bundles[name].sha256 }
    : { main: path.join(ROOT, "bin", "cli", "main.js") };
}

/**
 * Loads a bundle as a CommonJS module. Node's own compile cache keeps only the code compiled before a file runs
 * (the top level: every module's function is compiled again on each run); here V8's cache is taken after a run,
 * so it holds every function the run compiled. It lives in Node's compile-cache directory (per Node version and V8
 * flags; none when the cache is disabled), named by the bundle's content hash from the build's manifest and the
 * file's size and mtime (an edit after the build is a new name), and is used only if this user owns it.
 * Returns the exports and `save(complete)`: call it once the command ended; a cache from a run that stopped early
 * (exit 2) is replaced by one from a complete run.
 */
function loadBundle(file, sha256) {
  const Module = require("node:module");
  const vm = require("node:vm");
  const fd = fs.openSync(file, "r");
  let bytes;
  let stat;
  try {
    stat = fs.fstatSync(fd);
    bytes = Buffer.allocUnsafe(stat.size);
    if (fs.readSync(fd, bytes, 0, stat.size, 0) !== stat.size) throw new Error(`${file}: short read`);
  } finally {
    fs.closeSync(fd);
  }
  const dir = typeof sha256 === "string" && sha256.length === 64 && /^[0-9a-f]+$/.test(sha256) ? Module.getCompileCacheDir?.() : undefined;
  const key =
    dir !== undefined ? path.join(dir, `bundle-${path.basename(file, ".js")}-${sha256.slice(0, 32)}-${stat.size}-${Math.trunc(stat.mtimeMs)}`) : undefined;
  let cached;
  let cachedComplete = false;
  for (const [suffix, complete] of key !== undefined
    ? [
        [".complete", true],
        [".partial", false],
      ]
    : []) {
    cached = readOwned(key + suffix);
    if (cached !== undefined) {
      cachedComplete = complete;
      break;
    }
  }
  const script = new vm.Script(Module.wrap(bytes.toString("utf8")), {
    filename: file,
    cachedData: cached,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const accepted = cached !== undefined && !script.cachedDataRejected;
  const module = new Module(file, require.main);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = module;
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  const save = (complete) => {
    if (key === undefined || (accepted && (cachedComplete || !complete))) return;
    try {
      const target = key + (complete ? ".complete" : ".partial");
      const temporary = `${target}.${process.pid}`;
      fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(temporary, target);
      if (complete) fs.rmSync(`${key}.partial`, { force: true });
    } catch {
      // A read-only or full cache directory: the next run compiles again.
    }
  };
  return { exports: module.exports, save };
}

/** The file's bytes if it is a regular file this user owns (a code cache is code), else undefined. */
function readOwned(file) {
  let fd;
  try {
    fd = fs.openSync(file, "r");
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || (process.getuid !== undefined && stat.uid !== process.getuid())) return undefined;
    const buffer = Buffer.allocUnsafe(stat.size);
    return fs.readSync(fd, buffer, 0, stat.size, 0) === stat.size ? buffer : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

module.exports = { ROOT, STAMP, MANIFEST, compiledEntry, compiledIsFresh, cliEntry, loadBundle, registerTsNode };
