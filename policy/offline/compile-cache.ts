/**
 * Node's on-disk compile cache (Node ≥ 22.1) for the offline runner and the pack it starts: loading the Pulumi SDK
 * compiles ~1 MB of JavaScript, about half of a cold run's CPU; cached, a second run skips that work. Imported
 * first by run.ts so it covers every module after it. NODE_COMPILE_CACHE, when set, wins (Node reads it itself).
 */
import * as nodeModule from "node:module";
import * as os from "node:os";
import * as path from "node:path";

export const COMPILE_CACHE_DIR = process.env["NODE_COMPILE_CACHE"] ?? path.join(os.tmpdir(), "myoci-node-compile-cache");

(nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(COMPILE_CACHE_DIR);
