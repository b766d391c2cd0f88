/**
 * Known advisories of the platform's images, and the response deadlines that follow from them.
 * `firstRecorded` is when myOCI first recorded the advisory: deadlines count from there.
 */
import { CATALOG, type ComponentId } from "./images";
import { compareTags, parseTag, type ParsedTag } from "./tags";

export type Severity = "critical" | "high" | "medium" | "low" | "unrated";

export interface Advisory {
  readonly id: string;
  readonly component: ComponentId;
  readonly severity: Severity;
  readonly summary: string;
  /** Plain versions (no `v`, no suffix). Affected: ≥ introduced and below the fix of its release line. */
  readonly affected: { readonly introduced?: string; readonly fixed: readonly string[] };
  readonly firstRecorded: string; // ISO 8601 date-time
  readonly url: string;
  readonly source: string;
}

/** Hours from first record to the response deadline. Unrated advisories are treated as high. */
export const DEADLINE_HOURS: Readonly<Record<Severity, number | null>> = {
  critical: 24,
  high: 7 * 24,
  medium: 30 * 24,
  low: null,
  unrated: 7 * 24,
};

const RECORDED = "2026-11-25T00:00:00Z";

export const ADVISORIES: readonly Advisory[] = [
  {
    id: "CVE-2024-9264",
    component: "grafana",
    severity: "critical",
    summary: "SQL Expressions (DuckDB) allow command injection and local file inclusion (CVSS 9.9).",
    affected: { introduced: "11.0.0", fixed: ["11.0.5-security-01", "11.1.6", "11.2.1"] },
    firstRecorded: RECORDED,
    url: "https://grafana.com/security/security-advisories/cve-2024-9264/",
    source: "cvelistV5 CVE-2024-9264; Grafana security advisory",
  },
  {
    id: "CVE-2025-4123",
    component: "grafana",
    severity: "high",
    summary: "Cross-site scripting and open redirect through a crafted path (CVSS 7.6).",
    affected: { fixed: ["10.4.19", "11.2.10", "11.3.7", "11.4.5", "11.5.5", "11.6.2", "12.0.1"] },
    firstRecorded: RECORDED,
    url: "https://grafana.com/security/security-advisories/cve-2025-4123/",
    source: "cvelistV5 CVE-2025-4123; Grafana release notes",
  },
  {
    id: "CVE-2025-27507",
    component: "zitadel",
    severity: "critical",
    summary: "Admin API IDOR lets an authenticated user change other organisations' settings (CVSS 9.0).",
    affected: { fixed: ["2.63.8", "2.64.5", "2.71.0"] },
    firstRecorded: RECORDED,
    url: "https://github.com/zitadel/zitadel/security/advisories/GHSA-f3gh-529w-v32x",
    source: "cvelistV5 CVE-2025-27507 (fixed lines between 2.64 and 2.71 not recorded: treated as affected)",
  },
  {
    id: "CVE-2025-64717",
    component: "zitadel",
    severity: "unrated",
    summary: "Identity provider auto-linking allows account takeover.",
    affected: { fixed: ["2.71.19", "3.4.4", "4.6.6"] },
    firstRecorded: RECORDED,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-64717",
    source: "cvelistV5 CVE-2025-64717",
  },
  {
    id: "CVE-2024-10979",
    component: "postgres",
    severity: "high",
    summary: "PL/Perl environment variable changes allow arbitrary code execution.",
    affected: { fixed: ["17.1", "16.5", "15.9", "14.14", "13.17"] },
    firstRecorded: RECORDED,
    url: "https://www.postgresql.org/support/security/CVE-2024-10979/",
    source: "cvelistV5 CVE-2024-10979; PostgreSQL security page",
  },
  {
    id: "CVE-2025-8714",
    component: "postgres",
    severity: "high",
    summary: "pg_dump lets a superuser of the origin server inject code into a restore (also CVE-2025-8713, CVE-2025-8715).",
    affected: { fixed: ["17.6", "16.10", "15.14", "14.19", "13.22"] },
    firstRecorded: RECORDED,
    url: "https://www.postgresql.org/support/security/CVE-2025-8714/",
    source: "cvelistV5 CVE-2025-8713/8714/8715; PostgreSQL 17.6 release notes",
  },
  {
    id: "CVE-2024-32019",
    component: "netdata",
    severity: "high",
    summary: "ndsudo privilege escalation through an untrusted search path.",
    affected: { introduced: "1.45.0", fixed: ["1.45.3"] },
    firstRecorded: RECORDED,
    url: "https://github.com/netdata/netdata/security/advisories/GHSA-pmhq-4cxq-wj93",
    source: "cvelistV5 CVE-2024-32019",
  },
  {
    id: "CVE-2025-10678",
    component: "netbirdManagement",
    severity: "unrated",
    summary: "The NetBird Zitadel installer left Zitadel's default admin password in place.",
    affected: { fixed: ["0.57.0"] },
    firstRecorded: RECORDED,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-10678",
    source: "cvelistV5 CVE-2025-10678",
  },
  {
    id: "CVE-2026-39087",
    component: "ntfy",
    severity: "unrated",
    summary: "Server-side request forgery.",
    affected: { fixed: ["2.22.0"] },
    firstRecorded: RECORDED,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2026-39087",
    source: "OSV; ntfy release notes",
  },
];

/** Parses a plain advisory version (`11.0.5-security-01`, `16.5`) with the component's scheme. */
function parseAdvisoryVersion(component: ComponentId, version: string): ParsedTag {
  const scheme = CATALOG[component].tagScheme;
  const result = parseTag((scheme.vPrefix ? "v" : "") + version, { ...scheme, parts: version.split("-")[0]!.split(".").length });
  if (!result.ok) {
    throw new Error(`catalog advisory version "${version}" of ${component} does not parse: ${result.reason}`);
  }
  return result.tag;
}

/** The release line a version belongs to: major.minor, or major for two-part schemes. */
function releaseLine(tag: ParsedTag, parts: number): string {
  return tag.numbers.slice(0, Math.max(1, parts - 1)).join(".");
}

/** Whether a pinned version is affected by an advisory (OSV-style ranges per release line). */
export function isAffected(advisory: Advisory, version: ParsedTag): boolean {
  const parts = CATALOG[advisory.component].tagScheme.parts;
  if (advisory.affected.introduced && compareTags(version, parseAdvisoryVersion(advisory.component, advisory.affected.introduced)) < 0) {
    return false;
  }
  const fixes = advisory.affected.fixed.map((v) => parseAdvisoryVersion(advisory.component, v));
  const sameLine = fixes.find((fix) => releaseLine(fix, parts) === releaseLine(version, parts));
  if (sameLine) {
    return compareTags(version, sameLine) < 0;
  }
  return fixes.some((fix) => compareTags(version, fix) < 0);
}

/** The lowest fixed version at or above the given one, for "fixed in" hints. */
export function fixedVersionFor(advisory: Advisory, version: ParsedTag): string | undefined {
  return advisory.affected.fixed
    .map((v) => ({ v, tag: parseAdvisoryVersion(advisory.component, v) }))
    .filter(({ tag }) => compareTags(tag, version) > 0)
    .sort((a, b) => compareTags(a.tag, b.tag))[0]?.v;
}

export function advisoriesFor(component: ComponentId, version: ParsedTag, advisories: readonly Advisory[] = ADVISORIES): Advisory[] {
  return advisories.filter((a) => a.component === component && isAffected(a, version));
}

/** When the response is due, or null for severities without a deadline. */
export function deadlineOf(advisory: Pick<Advisory, "severity" | "firstRecorded">): Date | null {
  const hours = DEADLINE_HOURS[advisory.severity];
  return hours === null ? null : new Date(Date.parse(advisory.firstRecorded) + hours * 3_600_000);
}

export interface RiskAcceptance {
  readonly id: string;
  readonly reason: string;
  /** ISO date; the acceptance lapses at the start of that day (UTC). */
  readonly expires: string;
}

export type AdvisoryState =
  | { state: "accepted"; acceptance: RiskAcceptance }
  | { state: "open"; deadline: Date | null }
  | { state: "overdue"; deadline: Date; expiredAcceptance?: RiskAcceptance };

/** Where an affecting advisory stands at `now`: accepted, open before its deadline, or overdue. */
export function advisoryState(advisory: Advisory, now: Date, acceptances: readonly RiskAcceptance[]): AdvisoryState {
  const acceptance = acceptances.find((a) => a.id === advisory.id);
  if (acceptance && Date.parse(acceptance.expires) > now.getTime()) {
    return { state: "accepted", acceptance };
  }
  const deadline = deadlineOf(advisory);
  if (deadline && deadline.getTime() <= now.getTime()) {
    return { state: "overdue", deadline, expiredAcceptance: acceptance };
  }
  return { state: "open", deadline };
}
