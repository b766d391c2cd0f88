/**
 * Node's on-disk compile cache (Node ≥ 22.1) for the offline runner and the pack it starts: loading the Pulumi SDK
 * compiles ~1 MB of JavaScript, about half of a cold run's CPU; cached, a second run skips that work. Imported
 * first by run.ts so it covers every module after it. NODE_COMPILE_CACHE, when set, wins (Node reads it itself).
 *
 * The pack gets a folder of its own: run-policy-pack enables the inspector's debugger before it loads anything
 * (closure v8Hooks), and V8 rejects code cached in a process without it (and the other way round), so one shared
 * folder made the runner and the pack throw away and rewrite each other's entries on every run.
 */
import * as nodeModule from "node:module";
import * as os from "node:os";
import * as path from "node:path";

export const COMPILE_CACHE_DIR = process.env["NODE_COMPILE_CACHE"] ?? path.join(os.tmpdir(), "myoci-node-compile-cache");
/** The pack's own cache (beside Node's version folders inside COMPILE_CACHE_DIR). */
export const PACK_COMPILE_CACHE_DIR = path.join(COMPILE_CACHE_DIR, "policy-pack");

(nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(COMPILE_CACHE_DIR);
