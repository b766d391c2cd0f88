/**
 * Tag schemes: how one image names its versions, and how two tags of it compare.
 * Pure functions; shared by the program, the policy pack, the version tool and the docs.
 */

/** Tags that move: never acceptable as a pin. */
export const FLOATING_TAGS: readonly string[] = ["latest", "stable", "edge", "nightly", "main", "master", "dev", "beta"];

export interface TagScheme {
  /** Releases are tagged `v1.2.3` rather than `1.2.3`. */
  readonly vPrefix: boolean;
  /** How many numeric components a release tag has (`3.0.0` → 3, postgres `16.9` → 2). */
  readonly parts: number;
  /** Allowed variant suffixes after the first `-` (`""` = none). A pin only ever moves within its suffix. */
  readonly suffixes: readonly string[];
  /** Grafana-style security rebuilds: `11.0.5-security-01`. */
  readonly securityBuilds?: boolean;
}

export interface ParsedTag {
  readonly raw: string;
  readonly numbers: readonly number[];
  /** Variant suffix such as `alpine` (`""` when none). */
  readonly suffix: string;
  /** Security rebuild number (`-security-01` → 1, none → 0). */
  readonly security: number;
}

export type TagParseResult = { ok: true; tag: ParsedTag } | { ok: false; reason: string };

const PRERELEASE = /^(rc|alpha|beta|pre|dev|preview|snapshot)[.-]?\d*$/i;

/** Describes a scheme in words, for error messages and docs. */
export function describeScheme(scheme: TagScheme): string {
  const example = (scheme.vPrefix ? "v" : "") + Array.from({ length: scheme.parts }, (_, i) => [1, 2, 3, 4][i]).join(".");
  const suffixes = scheme.suffixes.filter((s) => s !== "");
  const parts = [`${scheme.vPrefix ? "a leading v and " : "no leading v, "}${scheme.parts} numeric parts (e.g. ${example})`];
  if (suffixes.length > 0) {
    parts.push(`optional suffix ${suffixes.map((s) => `-${s}`).join(" or ")}`);
  }
  if (scheme.securityBuilds) {
    parts.push("optional -security-NN rebuild");
  }
  return parts.join(", ");
}

/** Parses a tag against a scheme; pre-releases and floating tags are refused with a reason. */
export function parseTag(tag: string, scheme: TagScheme): TagParseResult {
  if (tag === "") {
    return { ok: false, reason: "the tag is empty" };
  }
  if (FLOATING_TAGS.includes(tag.toLowerCase())) {
    return { ok: false, reason: `"${tag}" is a floating tag that moves with every release` };
  }
  let rest = tag;
  if (scheme.vPrefix) {
    if (!rest.startsWith("v")) {
      return { ok: false, reason: `"${tag}" lacks the leading "v" (expected ${describeScheme(scheme)})` };
    }
    rest = rest.slice(1);
  } else if (/^v\d/.test(rest)) {
    return { ok: false, reason: `"${tag}" has a leading "v" (expected ${describeScheme(scheme)})` };
  }
  let security = 0;
  const securityMatch = /-security-(\d{1,3})$/.exec(rest);
  if (securityMatch) {
    if (!scheme.securityBuilds) {
      return { ok: false, reason: `"${tag}" is a security rebuild, which this image does not publish` };
    }
    security = Number(securityMatch[1]);
    rest = rest.slice(0, securityMatch.index);
  }
  const dash = rest.indexOf("-");
  const version = dash === -1 ? rest : rest.slice(0, dash);
  const suffix = dash === -1 ? "" : rest.slice(dash + 1);
  if (PRERELEASE.test(suffix)) {
    return { ok: false, reason: `"${tag}" is a pre-release` };
  }
  if (!scheme.suffixes.includes(suffix)) {
    return { ok: false, reason: `"${tag}" has suffix "${suffix}" (expected ${describeScheme(scheme)})` };
  }
  const numbers = version.split(".");
  if (numbers.length !== scheme.parts || !numbers.every((n) => /^(0|[1-9]\d{0,5})$/.test(n))) {
    return { ok: false, reason: `"${tag}" does not fit the tag scheme (expected ${describeScheme(scheme)})` };
  }
  return { ok: true, tag: { raw: tag, numbers: numbers.map(Number), suffix, security } };
}

/** Orders two parsed tags: numbers first, then the security rebuild. Suffixes are not ordered. */
export function compareTags(a: ParsedTag, b: ParsedTag): number {
  const length = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (diff !== 0) {
      return Math.sign(diff);
    }
  }
  return Math.sign(a.security - b.security);
}

export type ChangeClass = "none" | "security" | "patch" | "minor" | "major" | "downgrade";

/** The kind of step from one version to another of the same image. */
export function classifyChange(from: ParsedTag, to: ParsedTag): ChangeClass {
  const order = compareTags(from, to);
  if (order === 0) {
    return "none";
  }
  if (order > 0) {
    return "downgrade";
  }
  if (from.numbers[0] !== to.numbers[0]) {
    return "major";
  }
  if (from.numbers.length > 2 && from.numbers[1] !== to.numbers[1]) {
    return "minor";
  }
  if (from.numbers.length === 2 && from.numbers[1] !== to.numbers[1]) {
    // Two-part schemes (postgres 16.9 → 16.10): the second number is the patch level.
    return "patch";
  }
  return from.numbers.join(".") === to.numbers.join(".") ? "security" : "patch";
}

/** `major.minor` of a tag, e.g. "3.6" — the unit that paired images (Loki/Promtail) share. */
export function majorMinor(tag: ParsedTag): string {
  return `${tag.numbers[0] ?? 0}.${tag.numbers[1] ?? 0}`;
}

/** The plain version (no v, no suffix): the form changelog links and advisories use. */
export function plainVersion(tag: ParsedTag): string {
  return tag.numbers.join(".") + (tag.security > 0 ? `-security-${String(tag.security).padStart(2, "0")}` : "");
}
