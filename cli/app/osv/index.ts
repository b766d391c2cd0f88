/**
 * The OSV source of `myoci vulns`: pins → package queries (catalog/packages.ts), one querybatch, the records it
 * names, and each record judged locally against the pinned version (withdrawn ignored, ranges of the package's
 * own entries only), merged by alias into the vulnerabilities the snapshot keeps. Records OSV returns whose ranges
 * cannot place a release (Go pseudo-versions) are reported as unmapped, never silently dropped or counted.
 */
import {
  CATALOG,
  COMPONENT_IDS,
  cvss3BaseScore,
  hasPackages,
  PACKAGES,
  packageVersion,
  parseTag,
  rangesVerdict,
  severityOfScore,
  type ComponentId,
  type KnownVulnerability,
  type OsvEvent,
  type PinSet,
  type Severity,
  type UpstreamPackage,
} from "../../../catalog";
import type { OsvClient, OsvQuery, OsvRecord } from "../../adapters/osv";

export * from "../../adapters/osv";

export interface PythonPin {
  readonly name: string;
  readonly version: string;
}

/** One (component, package, version) the pins ask about. */
export interface OsvTarget {
  readonly component: ComponentId;
  readonly package: UpstreamPackage;
  readonly version: string;
  readonly releasesOutsideModule: boolean;
  /** PyPI requirements: the version is the requirement's, not the tag's. */
  readonly requirement?: boolean;
}

/** A record OSV names for a pin whose ranges cannot say whether the release is affected. */
export interface UnmappedRecord {
  readonly component: ComponentId;
  readonly version: string;
  readonly ids: readonly string[];
  readonly summary: string;
}

export interface OsvResult {
  readonly source: string;
  readonly vulnerabilities: readonly KnownVulnerability[];
  readonly unmapped: readonly UnmappedRecord[];
  readonly queries: number;
  readonly records: number;
  readonly withdrawn: readonly string[];
  readonly requests: number;
}

/** The queries for every pinned component with a package (and the forwarder's Python pins), de-duplicated. */
export function osvTargets(stacks: readonly PinSet[], python: readonly PythonPin[] = []): OsvTarget[] {
  const targets = new Map<string, OsvTarget>();
  for (const images of stacks) {
    for (const component of COMPONENT_IDS) {
      const pin = images[component];
      const mapping = PACKAGES[component];
      if (!pin || !hasPackages(mapping)) continue;
      const parsed = parseTag(pin.tag, CATALOG[component].tagScheme);
      if (!parsed.ok) continue;
      for (const pkg of mapping.packages) {
        const target = { component, package: pkg, version: packageVersion(parsed.tag), releasesOutsideModule: mapping.releasesOutsideModule === true };
        targets.set(`${component}\0${pkg.name}\0${target.version}`, target);
      }
      if (mapping.pypiRequirements !== undefined) {
        for (const r of python) {
          targets.set(`${component}\0${r.name}\0${r.version}`, {
            component,
            package: { ecosystem: "PyPI", name: r.name },
            version: r.version,
            releasesOutsideModule: false,
            requirement: true,
          });
        }
      }
    }
  }
  return [...targets.values()];
}

const RATING: Record<string, Severity> = { CRITICAL: "critical", HIGH: "high", MODERATE: "medium", MEDIUM: "medium", LOW: "low" };

/** Severity from the CVSS v3 vector (base score computed), else the database's own rating, else unrated. */
export function recordSeverity(record: OsvRecord): { severity: Severity; score?: number } {
  for (const s of record.severity ?? []) {
    if (s.type !== "CVSS_V3") continue;
    const score = cvss3BaseScore(s.score);
    if (score !== undefined) return { severity: severityOfScore(score), score };
  }
  const own = record.database_specific?.severity?.toUpperCase();
  return { severity: own !== undefined && own in RATING ? RATING[own]! : "unrated" };
}

/** The finding id of a group of records: a CVE alias, else a GHSA, else the first record id. */
export function canonicalId(ids: readonly string[]): string {
  return [...ids].sort().find((id) => id.startsWith("CVE-")) ?? [...ids].sort().find((id) => id.startsWith("GHSA-")) ?? ids[0]!;
}

const RANK: Record<Severity, number> = { low: 1, medium: 2, unrated: 3, high: 4, critical: 5 };

interface Judged {
  readonly record: OsvRecord;
  readonly ranges: OsvEvent[][];
  readonly verdict: "affected" | "unaffected" | "unknown";
}

/** The record's ranges for the target's package (SEMVER / ECOSYSTEM), and its verdict at the target's version. */
export function judge(record: OsvRecord, target: OsvTarget): Judged {
  const entries = (record.affected ?? []).filter((a) => a.package?.ecosystem === target.package.ecosystem && a.package.name === target.package.name);
  const ranges = entries.flatMap((a) =>
    (a.ranges ?? []).filter((r) => r.type === "SEMVER" || r.type === "ECOSYSTEM").map((r) => r.events.map((e) => ({ ...e }))),
  );
  const listed = entries.some((a) => (a.versions ?? []).includes(target.version));
  const verdict = listed ? "affected" : rangesVerdict(ranges, target.version, target.releasesOutsideModule);
  return { record, ranges, verdict };
}

/** Records → the vulnerabilities affecting the targets (merged by shared ids per component) and the unmapped ones. */
export function interpret(
  targets: readonly OsvTarget[],
  idsPerTarget: readonly (readonly string[])[],
  records: ReadonlyMap<string, OsvRecord>,
): { vulnerabilities: KnownVulnerability[]; unmapped: UnmappedRecord[]; withdrawn: string[] } {
  const withdrawn = new Set<string>();
  const vulnerabilities: KnownVulnerability[] = [];
  const unmapped: UnmappedRecord[] = [];
  targets.forEach((target, t) => {
    const judged: Judged[] = [];
    for (const id of idsPerTarget[t] ?? []) {
      const record = records.get(id);
      if (!record) continue;
      if (record.withdrawn !== undefined) {
        withdrawn.add(record.id);
        continue;
      }
      judged.push(judge(record, target));
    }
    // Group records that share an id or alias (GO-… and GHSA-… of one CVE).
    const groups: Judged[][] = [];
    for (const j of judged) {
      const ids = new Set([j.record.id, ...(j.record.aliases ?? [])]);
      const hits = groups.filter((g) => g.some((o) => [o.record.id, ...(o.record.aliases ?? [])].some((x) => ids.has(x))));
      const merged = [...hits.flat(), j];
      for (const h of hits) groups.splice(groups.indexOf(h), 1);
      groups.push(merged);
    }
    for (const group of groups) {
      const ids = [...new Set(group.flatMap((j) => [j.record.id, ...(j.record.aliases ?? [])]))].sort();
      const summary = group.map((j) => j.record.summary).find((s) => s !== undefined && s !== "") ?? group[0]!.record.details?.split("\n")[0] ?? "";
      if (!group.some((j) => j.verdict === "affected")) {
        if (!group.some((j) => j.verdict === "unaffected")) unmapped.push({ component: target.component, version: target.version, ids, summary });
        continue;
      }
      const rated = group.map((j) => recordSeverity(j.record)).sort((a, b) => RANK[b.severity] - RANK[a.severity] || (b.score ?? 0) - (a.score ?? 0))[0]!;
      const primary = group.find((j) => j.record.id.startsWith("GHSA-")) ?? group[0]!;
      const id = canonicalId(ids);
      const existing = vulnerabilities.find((v) => v.component === target.component && v.id === id);
      const known: KnownVulnerability = {
        id,
        aliases: ids,
        component: target.component,
        ecosystem: target.package.ecosystem,
        package: target.package.name,
        ...(target.requirement === true ? { packageVersion: target.version } : {}),
        severity: rated.severity,
        ...(rated.score !== undefined ? { score: rated.score } : {}),
        summary,
        url: `https://osv.dev/vulnerability/${primary.record.id}`,
        modified: Object.fromEntries(group.map((j) => [j.record.id, j.record.modified])),
        ranges: group.flatMap((j) => j.ranges),
      };
      // The same vulnerability at the component's other pinned version: one entry, the ranges hold both.
      if (existing === undefined) vulnerabilities.push(known);
    }
  });
  vulnerabilities.sort((a, b) => COMPONENT_IDS.indexOf(a.component) - COMPONENT_IDS.indexOf(b.component) || a.id.localeCompare(b.id));
  return { vulnerabilities, unmapped, withdrawn: [...withdrawn].sort() };
}

/** Asks OSV about the targets: one querybatch (and its pages), then every record named. Throws OsvError. */
export async function queryOsv(client: OsvClient, targets: readonly OsvTarget[]): Promise<OsvResult> {
  const queries: OsvQuery[] = targets.map((t) => ({ package: t.package, version: t.version }));
  const idsPerTarget = queries.length > 0 ? await client.queryBatch(queries) : [];
  const ids = [...new Set(idsPerTarget.flat())].sort();
  const fetched = await client.getVulns(ids);
  const records = new Map(fetched.map((r) => [r.id, r]));
  const { vulnerabilities, unmapped, withdrawn } = interpret(targets, idsPerTarget, records);
  return { source: client.baseUrl, vulnerabilities, unmapped, queries: queries.length, records: ids.length, withdrawn, requests: client.requests };
}
