/**
 * Makes a stack's images exist in a test registry: pushes every pinned tag (a multi-arch index each) and writes a
 * copy of the stack file whose digests are the ones the test registry serves. Comments survive (yaml Document API).
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { CATALOG, type ComponentId, type ImagePin } from "../../catalog";
import { pushIndex } from "./registry";

export interface FilledStack {
  readonly file: string;
  readonly images: Partial<Record<ComponentId, ImagePin>>;
}

/** Reads `myoci:images` of a stack file (component → pin). */
export function stackImages(file: string): Partial<Record<ComponentId, ImagePin>> {
  const document = parseDocument(readFileSync(file, "utf8"));
  return (document.getIn(["config", "myoci:images"]) as { toJSON(): Partial<Record<ComponentId, ImagePin>> }).toJSON();
}

/**
 * Pushes the pinned tags of `sourceFile` to the registry (already pushed repository:tag pairs are reused through
 * `pushed`) and writes `<targetDir>/<basename>` with the registry's digests.
 */
export async function fillStack(registryUrl: string, sourceFile: string, targetDir: string, pushed: Map<string, string> = new Map()): Promise<FilledStack> {
  const target = path.join(targetDir, path.basename(sourceFile));
  copyFileSync(sourceFile, target);
  const document = parseDocument(readFileSync(target, "utf8"));
  const images = stackImages(target);
  const result: Partial<Record<ComponentId, ImagePin>> = {};
  for (const [component, pin] of Object.entries(images) as [ComponentId, ImagePin][]) {
    const key = `${CATALOG[component].repository}:${pin.tag}`;
    let digest = pushed.get(key);
    if (digest === undefined) {
      digest = (await pushIndex(registryUrl, CATALOG[component].repository, pin.tag)).digest;
      pushed.set(key, digest);
    }
    document.setIn(["config", "myoci:images", component, "digest"], digest);
    result[component] = { tag: pin.tag, digest };
  }
  writeFileSync(target, document.toString());
  return { file: target, images: result };
}
