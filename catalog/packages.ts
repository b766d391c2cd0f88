/**
 * Each image's upstream package in the OSV database (https://ossf.github.io/osv-schema/), and how a pinned tag
 * becomes that package's version. The one place `myoci vulns` (OSV source), `check` (security updates) and the
 * policy pack (snapshot) read. Also the pure OSV range evaluation they share.
 *
 * Module paths are the `module` lines of the upstream go.mod files, as the Go vulnerability database indexes them
 * (golang/vulndb data/osv@a752ea5: GO-2025-3704 github.com/grafana/grafana, GO-2026-5115 github.com/grafana/loki/v3,
 * GO-2024-3168 github.com/grafana/alloy, GO-2025-4040 github.com/netbirdio/netbird, GO-2026-4639
 * github.com/caddyserver/caddy/v2, GO-2026-5551 heckel.io/ntfy/v2; zitadel/zitadel go.mod "module
 * github.com/zitadel/zitadel", GHSA-f3gh-529w-v32x lists it and /v2).
 */
import type { Severity } from "./advisories";
import type { ComponentId } from "./images";
import type { ParsedTag } from "./tags";

export type OsvEcosystem = "Go" | "PyPI";

export interface UpstreamPackage {
  readonly ecosystem: OsvEcosystem;
  readonly name: string;
}

export interface PackageMapping {
  /** Go module(s) the image's binary is built from, at the image's own version. */
  readonly packages: readonly UpstreamPackage[];
  /**
   * The release tags are not versions of the module path (major ≥ 2 without a /vN suffix): Go vulndb records can
   * only say "introduced 0" or give pseudo-versions for them, which say nothing about a release. Such ranges are
   * "unknown" for a release version; GitHub advisories (ECOSYSTEM ranges in release versions) decide.
   */
  readonly releasesOutsideModule?: boolean;
  /** Python requirements file whose `name==version` pins are PyPI packages of this image. */
  readonly pypiRequirements?: string;
  readonly source: string;
}

export interface NoMapping {
  /** Why OSV has no package for this image (its advisories come from the catalog and Trivy reports). */
  readonly none: string;
}

const go = (name: string): UpstreamPackage => ({ ecosystem: "Go", name });

export const PACKAGES: Readonly<Record<ComponentId, PackageMapping | NoMapping>> = {
  netdata: { none: "the Netdata agent is C (netdata/netdata); OSV indexes no ecosystem for it" },
  ntfy: { packages: [go("heckel.io/ntfy/v2")], source: "binwiederhier/ntfy go.mod; vulndb GO-2026-5551" },
  forwarderBase: {
    packages: [],
    pypiRequirements: "forwarder/requirements.txt",
    source: "the forwarder's pinned Python packages (none once it runs on the standard library only); CPython itself: Trivy",
  },
  loki: { packages: [go("github.com/grafana/loki/v3")], source: "grafana/loki go.mod (module github.com/grafana/loki/v3); vulndb GO-2026-5115" },
  promtail: {
    packages: [go("github.com/grafana/loki/v3")],
    source: "Promtail is built from the Loki repository (clients/cmd/promtail) at the same version",
  },
  alloy: { packages: [go("github.com/grafana/alloy")], source: "grafana/alloy go.mod; vulndb GO-2024-3168" },
  grafana: {
    packages: [go("github.com/grafana/grafana")],
    releasesOutsideModule: true,
    source: "grafana/grafana go.mod (module github.com/grafana/grafana, no /v12): releases only in GHSA ranges",
  },
  caddy: { packages: [go("github.com/caddyserver/caddy/v2")], source: "caddyserver/caddy go.mod; vulndb GO-2026-4639" },
  netbirdManagement: { packages: [go("github.com/netbirdio/netbird")], source: "netbirdio/netbird go.mod (management/ is a package of it)" },
  netbirdSignal: { packages: [go("github.com/netbirdio/netbird")], source: "netbirdio/netbird go.mod (signal/)" },
  netbirdRelay: { packages: [go("github.com/netbirdio/netbird")], source: "netbirdio/netbird go.mod (relay/)" },
  netbirdDashboard: { none: "netbirdio/dashboard is a Next.js web app, not published as a package" },
  coturn: { none: "coturn is C; OSV indexes no ecosystem for it (OS packages of the image: Trivy)" },
  zitadel: {
    packages: [go("github.com/zitadel/zitadel")],
    releasesOutsideModule: true,
    source: "zitadel/zitadel go.mod (module github.com/zitadel/zitadel, no /v4): releases only in GHSA ranges",
  },
  postgres: { none: "the PostgreSQL server is C; OSV indexes no ecosystem for it (catalog advisories, Trivy for Alpine packages)" },
};

export const hasPackages = (mapping: PackageMapping | NoMapping): mapping is PackageMapping => "packages" in mapping;

/**
 * The package version of a pinned tag: numbers only (Go: no `v`, OSV Go versions carry none), a Grafana
 * `-security-01` rebuild as the semver build `+security-01` that GitHub advisories use (11.0.6+security-01).
 */
export function packageVersion(tag: ParsedTag): string {
  return tag.numbers.join(".") + (tag.security > 0 ? `+security-${String(tag.security).padStart(2, "0")}` : "");
}

/** A package version as a tag of the image (`11.0.6+security-01` → `11.0.6-security-01`). */
export function versionAsTag(version: string): string {
  return version.replace(/\+security-/, "-security-");
}

// ---------- OSV ranges

export interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

interface Comparable {
  readonly numbers: readonly number[];
  readonly pre: string;
  readonly security: number;
}

/** Release versions (`1.2.3`, `2.5.0-beta.1`, `11.0.6+security-01`); pseudo-versions and the like are undefined. */
export function parseVersion(raw: string): Comparable | undefined {
  if (raw === "0") return { numbers: [0], pre: "", security: 0 };
  const match = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(raw);
  if (!match) return undefined;
  const pre = match[2] ?? "";
  // Go pseudo-versions (v0.0.0-20250521183405-c7a690348df7, 1.80.0-v2.20.0.2025…) name commits, not releases.
  if (/\d{14}/.test(pre)) return undefined;
  const security = /^security-(\d+)$/.exec(match[3] ?? "");
  return { numbers: match[1]!.split(".").map(Number), pre, security: security ? Number(security[1]) : 0 };
}

export function compareVersions(a: Comparable, b: Comparable): number {
  for (let i = 0; i < Math.max(a.numbers.length, b.numbers.length); i++) {
    const d = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre !== b.pre) {
    if (a.pre === "") return 1;
    if (b.pre === "") return -1;
    return Math.sign(a.pre.localeCompare(b.pre, "en", { numeric: true }));
  }
  return Math.sign(a.security - b.security);
}

export type RangeVerdict = "affected" | "unaffected" | "unknown";

/** One OSV range (its events) at a version, by the schema's algorithm; unknown when an event is not a release. */
export function rangeVerdict(events: readonly OsvEvent[], version: string, releasesOutsideModule = false): RangeVerdict {
  const v = parseVersion(version);
  if (v === undefined) return "unknown";
  if (releasesOutsideModule && events.every((e) => e.introduced === "0" || (e.introduced === undefined && e.limit !== undefined))) return "unknown";
  const parsed: { kind: "introduced" | "fixed" | "last_affected"; at: Comparable }[] = [];
  for (const event of events) {
    for (const kind of ["introduced", "fixed", "last_affected"] as const) {
      const raw = event[kind];
      if (raw === undefined) continue;
      const at = parseVersion(raw);
      if (at === undefined) return "unknown";
      parsed.push({ kind, at });
    }
  }
  parsed.sort((a, b) => compareVersions(a.at, b.at));
  let affected = false;
  for (const { kind, at } of parsed) {
    const order = compareVersions(v, at);
    if (kind === "introduced" && order >= 0) affected = true;
    else if (kind === "fixed" && order >= 0) affected = false;
    else if (kind === "last_affected" && order > 0) affected = false;
  }
  return affected ? "affected" : "unaffected";
}

/** Several ranges: affected if any release range says so; unaffected if release ranges exist; else unknown. */
export function rangesVerdict(ranges: readonly (readonly OsvEvent[])[], version: string, releasesOutsideModule = false): RangeVerdict {
  const verdicts = ranges.map((r) => rangeVerdict(r, version, releasesOutsideModule));
  if (verdicts.includes("affected")) return "affected";
  return verdicts.includes("unaffected") ? "unaffected" : "unknown";
}

/** The lowest `fixed` above the version (the fix of its own release line when there is one). */
export function fixedAbove(ranges: readonly (readonly OsvEvent[])[], version: string): string | undefined {
  const v = parseVersion(version);
  if (v === undefined) return undefined;
  return ranges
    .flat()
    .map((e) => e.fixed)
    .filter((f): f is string => f !== undefined)
    .map((raw) => ({ raw, at: parseVersion(raw) }))
    .filter((x): x is { raw: string; at: Comparable } => x.at !== undefined && compareVersions(x.at, v) > 0)
    .sort((a, b) => compareVersions(a.at, b.at))[0]?.raw;
}

// ---------- CVSS v3

const CVSS3: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
};

/** CVSS v3.1 "Roundup" (specification, appendix A). */
function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/** The CVSS v3.0/3.1 base score of a vector (`CVSS:3.1/AV:N/...`), or undefined when it is not a full v3 vector. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.split("/");
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? "")) return undefined;
  const m = Object.fromEntries(parts.slice(1).map((p) => p.split(":") as [string, string]));
  const changed = m.S === "C";
  const pr = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 }[m.PR as "N" | "L" | "H"];
  const [av, ac, ui] = [CVSS3.AV![m.AV ?? ""], CVSS3.AC![m.AC ?? ""], CVSS3.UI![m.UI ?? ""]];
  const [c, i, a] = [CVSS3.C![m.C ?? ""], CVSS3.C![m.I ?? ""], CVSS3.C![m.A ?? ""]];
  if ([pr, av, ac, ui, c, i, a].some((x) => x === undefined) || (m.S !== "U" && m.S !== "C")) return undefined;
  const iss = 1 - (1 - c!) * (1 - i!) * (1 - a!);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  if (impact <= 0) return 0;
  const exploitability = 8.22 * av! * ac! * pr * ui!;
  return roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
}

/** CVSS qualitative rating (v3.1 table 14); 0.0 ("none") counts as low. */
export function severityOfScore(score: number): Severity {
  return score >= 9 ? "critical" : score >= 7 ? "high" : score >= 4 ? "medium" : "low";
}

/** A known OSV vulnerability of one component as the committed snapshot keeps it (the records merged by alias). */
export interface KnownVulnerability {
  /** The finding's id: the CVE alias when there is one, else the GHSA, else the record id. */
  readonly id: string;
  /** Every id and alias of the merged records. */
  readonly aliases: readonly string[];
  readonly component: ComponentId;
  readonly ecosystem: OsvEcosystem;
  readonly package: string;
  /** PyPI: the requirement's pinned version it was found at (it is not the image tag). */
  readonly packageVersion?: string;
  readonly severity: Severity;
  readonly score?: number;
  readonly summary: string;
  readonly url: string;
  /** OSV `modified` per record id. */
  readonly modified: Readonly<Record<string, string>>;
  /** The ranges of the records' entries for the package. */
  readonly ranges: readonly (readonly OsvEvent[])[];
}

/** Whether a known vulnerability affects a pinned tag of its component. */
export function knownAffects(vuln: KnownVulnerability, tag: ParsedTag): boolean {
  if (vuln.packageVersion !== undefined) return true; // a requirement of the image, not its tag: as found
  const mapping = PACKAGES[vuln.component];
  return rangesVerdict(vuln.ranges, packageVersion(tag), hasPackages(mapping) && mapping.releasesOutsideModule === true) === "affected";
}
