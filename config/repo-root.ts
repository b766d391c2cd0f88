/** The repository root (the folder holding Pulumi.yaml), found from this file: the same from sources and from bin/. */
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

export const REPO_ROOT = findRepoRoot(__dirname);
