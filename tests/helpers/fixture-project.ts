/**
 * The frozen fixture project (tests/fixtures/project): both stack files, the promotion record and the provenance
 * record as shipped on 2026-12-01, real digests from the reference list. Tests read these, never the live pins at
 * the repo root, so `npx myoci pin` on a live stack breaks no test (tests/architecture/live-pins.test.ts keeps it so).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import type { ComponentId, ImagePin } from "../../catalog";

export const FIXTURE_PROJECT = path.resolve(__dirname, "..", "fixtures", "project");

/** The files of the fixture project. */
export const FIXTURE_FILES = ["Pulumi.staging.yaml", "Pulumi.prod.yaml", "promotions.yaml", "provenance.yaml"] as const;
export type FixtureFile = (typeof FIXTURE_FILES)[number];

const REPO = path.resolve(__dirname, "..", "..");

export const fixturePath = (file: FixtureFile): string => path.join(FIXTURE_PROJECT, file);
export const fixtureText = (file: FixtureFile): string => readFileSync(fixturePath(file), "utf8");
export const fixtureStackFile = (stack: "staging" | "prod"): string => fixturePath(`Pulumi.${stack}.yaml`);

/** `myoci:images` of a fixture stack: component → { tag, digest }. */
export function fixturePins(stack: "staging" | "prod"): Record<ComponentId, ImagePin> {
  const document = parse(fixtureText(`Pulumi.${stack}.yaml`)) as { config: { "myoci:images": Record<ComponentId, ImagePin> } };
  return document.config["myoci:images"];
}

/** A real pin from tests/fixtures/pins.yaml (images the fixture stacks do not pin). */
export function fixturePin(component: ComponentId, tag: string): ImagePin {
  const pins = parse(readFileSync(path.join(FIXTURE_PROJECT, "..", "pins.yaml"), "utf8")) as Partial<Record<ComponentId, Record<string, string>>>;
  const digest = pins[component]?.[tag];
  if (digest === undefined) throw new Error(`tests/fixtures/pins.yaml has no ${component} ${tag}`);
  return { tag, digest };
}

/**
 * Copies files of the fixture project into `dir` (a new temp folder by default): all of them unless named;
 * "Pulumi.yaml" is the repo's own (it holds no pin).
 */
export function copyFixtureProject(
  files: readonly (FixtureFile | "Pulumi.yaml")[] = ["Pulumi.yaml", ...FIXTURE_FILES],
  dir = mkdtempSync(path.join(tmpdir(), "myoci-fixture-")),
): string {
  mkdirSync(dir, { recursive: true });
  for (const file of files) copyFileSync(file === "Pulumi.yaml" ? path.join(REPO, file) : fixturePath(file), path.join(dir, file));
  return dir;
}
