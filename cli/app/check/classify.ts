/**
 * Pure classification of one component for `myoci check`: declared pin + the registry's tags and the declared
 * tag's current digest → up-to-date | digest | patch | minor | major (or error), with the newest candidate per class.
 */
import {
  advisoriesFor,
  CATALOG,
  changelogUrl,
  checkCompatibility,
  classifyChange,
  COMPATIBILITY_RULES,
  compareTags,
  endOfLifeState,
  fixedAbove,
  fixedVersionFor,
  knownAffects,
  packageVersion,
  parseTag,
  versionAsTag,
  type KnownVulnerability,
  plainVersion,
  type CatalogEntry,
  type ComponentId,
  type EndOfLifeState,
  type ImagePin,
  type ParsedTag,
  type RuleViolation,
  type VersionSet,
} from "../../../catalog";

export type CheckStatus = "up-to-date" | "digest" | "patch" | "minor" | "major" | "error";
export type UpdateClass = "patch" | "minor" | "major";

export interface Candidate {
  readonly tag: string;
  /** Plain version (no v, no suffix). */
  readonly version: string;
  readonly prerelease?: string;
  readonly changelog: string;
  /** Compatibility rules this candidate would break when substituted into the stack's pin set. */
  readonly breaks: readonly RuleViolation[];
  /** The candidate fixes an open finding of the declared version (catalog advisory or OSV snapshot). */
  readonly security?: true;
  /** The finding ids it fixes. */
  readonly fixes?: readonly string[];
}

export interface AdvisoryFlag {
  readonly id: string;
  readonly severity: string;
  readonly summary: string;
  readonly fixedIn?: string;
  readonly url: string;
}

export interface ComponentCheck {
  readonly component: ComponentId;
  readonly title: string;
  readonly image: string; // registry/repository
  readonly declared: ImagePin;
  readonly status: CheckStatus;
  /** Digest the declared tag points to now (absent when not checked). */
  readonly currentDigest?: string;
  /** The declared tag now points to another digest (also true when a newer version exists). */
  readonly digestChanged: boolean;
  readonly newest: { readonly patch?: Candidate; readonly minor?: Candidate; readonly major?: Candidate };
  readonly endOfLife?: EndOfLifeState;
  readonly advisories: readonly AdvisoryFlag[];
  readonly changelog: string;
  readonly error?: string;
}

export interface ClassifyInput {
  readonly component: ComponentId;
  readonly declared: ImagePin;
  /** Every tag the registry lists for the repository. */
  readonly tags: readonly string[];
  /** Digest the declared tag resolves to now. */
  readonly currentDigest: string;
  /** The stack's pinned versions (for compatibility of candidates). */
  readonly versions: VersionSet;
  readonly includePrerelease?: boolean;
  /** For end-of-life "reached" (default: now). */
  readonly now?: Date;
  /** OSV vulnerabilities of the committed snapshot (vulns-state.json). */
  readonly known?: readonly KnownVulnerability[];
}

const PRERELEASE_TAG = /^(v?\d+(?:\.\d+)*)-((?:rc|alpha|beta|pre|preview)[.-]?\d*)(?:-([A-Za-z][\w.]*))?$/i;

interface ParsedCandidate {
  readonly tag: ParsedTag;
  readonly prerelease?: string;
}

/** Parses a listed tag as a candidate: releases always, `X.Y.Z-rc.N[-suffix]` only when pre-releases are wanted. */
function parseCandidate(raw: string, entry: CatalogEntry, includePrerelease: boolean): ParsedCandidate | undefined {
  const parsed = parseTag(raw, entry.tagScheme);
  if (parsed.ok) {
    return { tag: parsed.tag };
  }
  if (!includePrerelease) {
    return undefined;
  }
  const match = PRERELEASE_TAG.exec(raw);
  if (!match) {
    return undefined;
  }
  const base = parseTag(match[1] + (match[3] !== undefined ? `-${match[3]}` : ""), entry.tagScheme);
  return base.ok ? { tag: { ...base.tag, raw }, prerelease: match[2] } : undefined;
}

/** Release order with pre-releases just below their release (3.1.0-rc.2 < 3.1.0). */
function compareCandidates(a: ParsedCandidate, b: ParsedCandidate): number {
  const byVersion = compareTags(a.tag, b.tag);
  if (byVersion !== 0) {
    return byVersion;
  }
  if (a.prerelease === undefined || b.prerelease === undefined) {
    return a.prerelease === b.prerelease ? 0 : a.prerelease === undefined ? 1 : -1;
  }
  return Math.sign(a.prerelease.localeCompare(b.prerelease, "en", { numeric: true, sensitivity: "base" }));
}

/** Violations of rules involving `component` once `tag` replaces its pin. */
function breaksFor(component: ComponentId, tag: ParsedTag, versions: VersionSet): RuleViolation[] {
  const involved = new Set(COMPATIBILITY_RULES.filter((rule) => rule.components.includes(component)).map((rule) => rule.id));
  return checkCompatibility({ ...versions, [component]: tag }).filter((violation) => involved.has(violation.rule));
}

/** A component that could not be checked: never reported as up to date. */
export function errorCheck(component: ComponentId, declared: ImagePin, message: string): ComponentCheck {
  const entry = CATALOG[component];
  return {
    component,
    title: entry.title,
    image: `${entry.registry}/${entry.repository}`,
    declared,
    status: "error",
    digestChanged: false,
    newest: {},
    advisories: [],
    changelog: changelogUrl(component, declared.tag),
    error: message,
  };
}

export function classifyComponent(input: ClassifyInput): ComponentCheck {
  const entry = CATALOG[input.component];
  const declaredParse = parseTag(input.declared.tag, entry.tagScheme);
  if (!declaredParse.ok) {
    return errorCheck(input.component, input.declared, `declared tag: ${declaredParse.reason}`);
  }
  const declared: ParsedCandidate = { tag: declaredParse.tag };
  const best: Partial<Record<UpdateClass, ParsedCandidate>> = {};
  for (const raw of new Set(input.tags)) {
    const candidate = parseCandidate(raw, entry, input.includePrerelease ?? false);
    // Same suffix only (`-alpine` moves to `-alpine`); the scheme already fixes the number of components.
    if (!candidate || candidate.tag.suffix !== declared.tag.suffix || compareCandidates(candidate, declared) <= 0) {
      continue;
    }
    const change = classifyChange(declared.tag, candidate.tag);
    // "none" here is a pre-release of a later build of the same numbers; "security" rebuilds count as patches.
    const kind: UpdateClass | undefined = change === "major" || change === "minor" || change === "patch" ? change : change === "security" ? "patch" : undefined;
    if (kind === undefined) {
      continue;
    }
    const current = best[kind];
    if (!current || compareCandidates(candidate, current) > 0) {
      best[kind] = candidate;
    }
  }
  // Open findings of the declared version: the catalog's, then the snapshot's the catalog does not already name.
  const catalogOpen = advisoriesFor(input.component, declared.tag);
  const knownOpen = (input.known ?? []).filter(
    (v) => v.component === input.component && knownAffects(v, declared.tag) && !catalogOpen.some((a) => a.id === v.id || v.aliases.includes(a.id)),
  );
  const fixesOf = (tag: ParsedTag): string[] => [
    ...catalogOpen.filter((a) => advisoriesFor(input.component, tag, [a]).length === 0).map((a) => a.id),
    ...knownOpen.filter((v) => !knownAffects(v, tag)).map((v) => v.id),
  ];
  const toCandidate = (c: ParsedCandidate | undefined): Candidate | undefined => {
    if (!c) return undefined;
    const fixes = c.prerelease === undefined ? fixesOf(c.tag) : [];
    return {
      tag: c.tag.raw,
      version: plainVersion(c.tag),
      ...(c.prerelease !== undefined ? { prerelease: c.prerelease } : {}),
      changelog: changelogUrl(input.component, c.tag.raw),
      breaks: breaksFor(input.component, c.tag, input.versions),
      ...(fixes.length > 0 ? { security: true as const, fixes } : {}),
    };
  };
  const digestChanged = input.currentDigest !== input.declared.digest;
  const status: CheckStatus = best.major ? "major" : best.minor ? "minor" : best.patch ? "patch" : digestChanged ? "digest" : "up-to-date";
  const endOfLife = endOfLifeState(input.component, input.now ?? new Date());
  return {
    component: input.component,
    title: entry.title,
    image: `${entry.registry}/${entry.repository}`,
    declared: input.declared,
    status,
    currentDigest: input.currentDigest,
    digestChanged,
    newest: { patch: toCandidate(best.patch), minor: toCandidate(best.minor), major: toCandidate(best.major) },
    ...(endOfLife ? { endOfLife } : {}),
    advisories: [
      ...catalogOpen.map((a) => {
        const fixedIn = fixedVersionFor(a, declared.tag);
        return { id: a.id, severity: a.severity, summary: a.summary, url: a.url, ...(fixedIn !== undefined ? { fixedIn } : {}) };
      }),
      ...knownOpen.map((v) => {
        const fix = fixedAbove(v.ranges, v.packageVersion ?? packageVersion(declared.tag));
        const fixedIn = fix === undefined ? undefined : (entry.tagScheme.vPrefix ? "v" : "") + versionAsTag(fix);
        return { id: v.id, severity: v.severity, summary: v.summary, url: v.url, ...(fixedIn !== undefined ? { fixedIn } : {}) };
      }),
    ],
    changelog: changelogUrl(input.component, declared.tag.raw),
  };
}
