/**
 * The repository root (the folder holding Pulumi.yaml), found from this file: the same from sources and from bin/.
 * Found on first use, so importing a module that needs it never throws outside a project.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";

export function findRepoRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no Pulumi.yaml above ${from}: run myoci from its repository`);
    }
  }
}

let found: string | undefined;

/** The repository root of this installation; throws (naming the folder) when no Pulumi.yaml is above it. */
export function repoRoot(): string {
  found ??= findRepoRoot(__dirname);
  return found;
}
