// Bundles a compiled CommonJS graph into one file (part of `npm run build`): every module reached through a literal
// `require("…")` is stored as a function under its real path, so `myoci <command>` reads and compiles one file
// instead of ~200 (module resolution, stat and package.json look-ups were a third of a `check` run).
// Semantics are kept: each module gets its own `module`, `exports`, `__filename` and `__dirname` (the real ones),
// joins Node's require cache under its real path, and any require the bundle does not hold (a dynamic one, a
// package left external) goes to Node's own loader. Packages in EXTERNAL are never inlined.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

/** Heavy or native packages: loaded by Node itself when (and only if) a command needs them. */
const EXTERNAL = /[\\/]node_modules[\\/](@pulumi|@grpc|@opentelemetry|@logdna|google-protobuf|protobufjs|playwright-core|ts-node|typescript)[\\/]/;
/**
 * Namespaces imported whole but read only on demand: bundled as a stub with the module's export names whose
 * getters load the real module (by Node's loader) on first use. zod's 40-odd locales are `z.locales`; only `en`,
 * which zod imports itself, is used: the stub keeps ~300 kB of two-byte text out of every bundle.
 */
const LAZY = /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.cjs$/;
const LITERAL_REQUIRE = /\brequire\(\s*(["'])([^"'\n]+)\1\s*\)/g;

/**
 * Every module reachable from `entries` by literal requires: absolute path → { source, deps: spec → path }, or
 * { lazy: export names } for a LAZY module (its own requires are not followed).
 */
function collect(entries) {
  const modules = new Map();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift();
    if (modules.has(file)) continue;
    if (LAZY.test(file)) {
      modules.set(file, { lazy: exportNames(file) });
      continue;
    }
    const source = fs.readFileSync(file, "utf8");
    const deps = {};
    const resolveFrom = Module.createRequire(file);
    for (const match of source.matchAll(LITERAL_REQUIRE)) {
      const spec = match[2];
      if (spec.startsWith("node:") || Module.isBuiltin(spec)) continue;
      let resolved;
      try {
        resolved = resolveFrom.resolve(spec);
      } catch {
        continue; // optional or missing: Node's loader decides at run time, as without the bundle
      }
      if (EXTERNAL.test(resolved) || !/\.(c?js|json)$/.test(resolved)) continue;
      deps[spec] = resolved;
      queue.push(resolved);
    }
    modules.set(file, { source, deps });
  }
  return modules;
}

/** A LAZY module's enumerable export names and whether it is an ES module (read by loading it here, at build). */
function exportNames(file) {
  const exports = require(file);
  return { names: Object.keys(exports), esModule: exports.__esModule === true };
}

// No file-level "use strict": each module keeps its own mode (tsc output starts with the directive). Modules are
// keyed by their path relative to the repository ("/"-separated); ROOT_PREFIX makes the real filename.
const RUNTIME = `const Module = require("node:module");
const path = require("node:path");
const absolute = path.sep === "/" ? (rel) => ROOT_PREFIX + rel : (rel) => ROOT_PREFIX + rel.split("/").join(path.sep);
const LAZY_STUBS = {};
function load(rel, parent) {
  const filename = absolute(rel);
  const cached = Module._cache[filename];
  if (cached) return cached.exports;
  const entry = MODULES[rel];
  if (entry.lazy !== undefined) return (LAZY_STUBS[rel] ??= lazyStub(filename, entry.lazy));
  const module = new Module(filename, parent);
  const dirname = path.dirname(filename);
  module.filename = filename;
  // Look-up paths and Node's own require for this module are made only if something asks for them.
  let paths;
  Object.defineProperty(module, "paths", { get: () => (paths ??= Module._nodeModulePaths(dirname)), set: (value) => (paths = value), configurable: true, enumerable: true });
  let native;
  const nativeRequire = () => (native ??= Module.createRequire(filename));
  Module._cache[filename] = module;
  const local = (spec) => {
    const known = entry.deps[spec];
    if (known !== undefined) return load(known, module);
    if (spec.startsWith("node:") || Module.isBuiltin(spec)) return require(spec);
    const resolved = nativeRequire().resolve(spec);
    const inside = resolved.startsWith(ROOT_PREFIX) ? resolved.slice(ROOT_PREFIX.length).split(path.sep).join("/") : undefined;
    return inside !== undefined && Object.hasOwn(MODULES, inside) ? load(inside, module) : nativeRequire()(spec);
  };
  local.resolve = (spec, options) => nativeRequire().resolve(spec, options);
  local.cache = Module._cache;
  local.main = require.main;
  try {
    entry.factory.call(module.exports, module.exports, local, module, filename, dirname);
  } catch (error) {
    delete Module._cache[filename];
    throw error;
  }
  module.loaded = true;
  return module.exports;
}
// The real module is loaded by Node (not cached under its name here, so Node's loader never sees the stub).
function lazyStub(filename, { names, esModule }) {
  let real;
  const target = () => (real ??= Module.createRequire(filename)(filename));
  const stub = {};
  if (esModule) Object.defineProperty(stub, "__esModule", { value: true });
  for (const name of names) Object.defineProperty(stub, name, { enumerable: true, get: () => target()[name] });
  return stub;
}
`;

/**
 * Writes `outFile` holding the graph of `entry` (plus `extraRoots`) and returns the graph's files; it exports what
 * `entry` exports. Paths are stored relative to `root` and made absolute when the bundle loads, so a moved checkout
 * keeps working.
 */
function bundle(root, entry, extraRoots, outFile) {
  const modules = collect([entry, ...extraRoots]);
  const rel = (file) => path.relative(root, file).split(path.sep).join("/");
  const parts = [
    RUNTIME,
    `const ROOT_PREFIX = path.resolve(__dirname, ${JSON.stringify(path.relative(path.dirname(outFile), root).split(path.sep).join("/") || ".")}) + path.sep;\n`,
    "const MODULES = {\n",
  ];
  for (const [file, module] of modules) {
    if (module.lazy !== undefined) {
      parts.push(`${JSON.stringify(rel(file))}: { lazy: ${JSON.stringify(module.lazy)} },\n`);
      continue;
    }
    const { source, deps } = module;
    const relDeps = Object.fromEntries(Object.entries(deps).map(([spec, target]) => [spec, rel(target)]));
    const body = file.endsWith(".json") ? `module.exports = ${source.trim()};` : source.replace(/^#!.*/, "").replace(/\/\/# sourceMappingURL=.*$/m, "");
    parts.push(
      `${JSON.stringify(rel(file))}: { deps: ${JSON.stringify(relDeps)}, factory: function (exports, require, module, __filename, __dirname) {\n${body}\n} },\n`,
    );
  }
  parts.push("};\n", `module.exports = load(${JSON.stringify(rel(entry))}, module);\n`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, parts.join(""));
  return [...modules.keys()];
}

module.exports = { bundle, collect };
