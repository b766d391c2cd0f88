/**
 * Findings: catalog advisories affecting each pinned version, plus Trivy reports joined to pins by repo digest.
 * Each finding's deadline counts from when the project first saw it (vulns-state.json); a catalog advisory counts
 * from its `firstRecorded` when that is earlier. Pure: time, state and acceptances come in as arguments.
 */
import {
  ADVISORIES,
  advisoriesFor,
  advisoryState,
  CATALOG,
  COMPONENT_IDS,
  deadlineOf,
  fixedAbove,
  fixedVersionFor,
  knownAffects,
  packageVersion,
  parseTag,
  versionAsTag,
  type KnownVulnerability,
  type Advisory,
  type ComponentId,
  type ImagePin,
  type PinSet,
  type RiskAcceptance,
  type Severity,
} from "../../../catalog";
import type { TrivyReport } from "./trivy";
import type { VulnState } from "./state";

export interface StackPins {
  readonly stack: string;
  readonly images: PinSet;
}

export interface AffectedPackage {
  readonly name: string;
  readonly installed: string;
  readonly fixed?: string;
}

export type FindingState = "open" | "overdue" | "accepted";
export type FindingSource = "catalog" | "trivy" | "osv";

export interface VulnFinding {
  /** `<component>:<id>`: the key of vulns-state.json. */
  readonly key: string;
  readonly stack: string;
  readonly component: ComponentId;
  readonly tag: string;
  readonly digest: string;
  readonly id: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly sources: readonly FindingSource[];
  /** Every id the sources know it by (CVE, GHSA, GO-…), when OSV named it. */
  readonly aliases?: readonly string[];
  /** OSV `modified` per record id. */
  readonly modified?: Readonly<Record<string, string>>;
  readonly url?: string;
  /** Catalog: the image version that fixes it; Trivy: `package version` of each fixed package. */
  readonly fixedIn?: string;
  readonly packages: readonly AffectedPackage[];
  readonly firstSeen: string;
  /** ISO time the response is due; null for low severity (no deadline). */
  readonly deadline: string | null;
  readonly state: FindingState;
  readonly acceptance?: RiskAcceptance;
  /** An acceptance that has lapsed (the finding counts again). */
  readonly expiredAcceptance?: RiskAcceptance;
}

export interface UnmatchedReport {
  readonly file: string;
  readonly artifact: string;
  readonly digests: readonly string[];
}

export interface VulnsResult {
  readonly checkedAt: string;
  readonly findings: readonly VulnFinding[];
  /** State with every finding's first sighting (unchanged keys keep their time). */
  readonly state: VulnState;
  /** Keys first seen in this run. */
  readonly newKeys: readonly string[];
  /** Reports whose digests match no pin of the stacks examined (stale scans, other images). */
  readonly unmatchedReports: readonly UnmatchedReport[];
  readonly summary: { readonly overdue: number; readonly open: number; readonly accepted: number; readonly withoutDeadline: number };
  /** 0 nothing due, 1 findings open, 2 a deadline is past. */
  readonly exitCode: 0 | 1 | 2;
}

export interface FindingsInput {
  readonly stacks: readonly StackPins[];
  readonly reports?: readonly TrivyReport[];
  readonly state: VulnState;
  readonly acceptances?: readonly RiskAcceptance[];
  readonly now: Date;
  readonly advisories?: readonly Advisory[];
  /** OSV vulnerabilities (a live query, or the snapshot); default: the state's snapshot. */
  readonly osv?: readonly KnownVulnerability[];
}

const RANK: Record<Severity, number> = { low: 1, medium: 2, unrated: 3, high: 4, critical: 5 };

export const maxSeverity = (a: Severity, b: Severity): Severity => (RANK[b] > RANK[a] ? b : a);

interface Draft {
  stack: string;
  component: ComponentId;
  pin: ImagePin;
  id: string;
  severity: Severity;
  summary: string;
  sources: Set<FindingSource>;
  aliases: Set<string>;
  modified?: Record<string, string>;
  url?: string;
  catalogFix?: string;
  firstRecorded?: string;
  packages: AffectedPackage[];
}

function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/** All findings of the stacks at `now`, with the state file's first sightings updated. */
export function computeFindings(input: FindingsInput): VulnsResult {
  const advisories = input.advisories ?? ADVISORIES;
  const drafts = new Map<string, Draft>();
  const draftFor = (
    stack: string,
    component: ComponentId,
    pin: ImagePin,
    id: string,
    init: () => Omit<Draft, "stack" | "component" | "pin" | "id" | "sources" | "aliases" | "packages">,
  ): Draft => {
    const mapKey = `${stack}\0${component}\0${id}`;
    let draft = drafts.get(mapKey);
    if (!draft) {
      draft = { stack, component, pin, id, sources: new Set(), aliases: new Set(), packages: [], ...init() };
      drafts.set(mapKey, draft);
    }
    return draft;
  };

  for (const { stack, images } of input.stacks) {
    for (const component of COMPONENT_IDS) {
      const pin = images[component];
      if (!pin) continue;
      const parsed = parseTag(pin.tag, CATALOG[component].tagScheme);
      if (!parsed.ok) continue; // the stack file's validation reports bad tags
      for (const advisory of advisoriesFor(component, parsed.tag, advisories)) {
        const draft = draftFor(stack, component, pin, advisory.id, () => ({ severity: advisory.severity, summary: advisory.summary }));
        draft.sources.add("catalog");
        draft.url = advisory.url;
        draft.catalogFix = fixedVersionFor(advisory, parsed.tag);
        draft.firstRecorded = advisory.firstRecorded;
        draft.severity = maxSeverity(draft.severity, advisory.severity);
      }
    }
  }

  const unmatchedReports: UnmatchedReport[] = [];
  for (const report of input.reports ?? []) {
    let matched = false;
    for (const { stack, images } of input.stacks) {
      for (const component of COMPONENT_IDS) {
        const pin = images[component];
        if (!pin || !report.digests.includes(pin.digest)) continue;
        matched = true;
        for (const v of report.vulnerabilities) {
          const draft = draftFor(stack, component, pin, v.id, () => ({ severity: v.severity, summary: v.title ?? `${v.pkg} ${v.installed}` }));
          draft.sources.add("trivy");
          draft.severity = maxSeverity(draft.severity, v.severity);
          draft.url ??= v.url;
          if (!draft.packages.some((p) => p.name === v.pkg && p.installed === v.installed)) {
            draft.packages.push({ name: v.pkg, installed: v.installed, fixed: v.fixed });
          }
        }
      }
    }
    if (!matched) {
      unmatchedReports.push({ file: report.file, artifact: report.artifact, digests: report.digests });
    }
  }

  // OSV last: a vulnerability the catalog or a Trivy report already names (by id or alias) is that finding.
  for (const { stack, images } of input.stacks) {
    for (const vuln of input.osv ?? input.state.osv?.vulnerabilities ?? []) {
      const pin = images[vuln.component];
      if (!pin) continue;
      const parsed = parseTag(pin.tag, CATALOG[vuln.component].tagScheme);
      if (!parsed.ok || !knownAffects(vuln, parsed.tag)) continue;
      const names = new Set([vuln.id, ...vuln.aliases]);
      const same = [...drafts.values()].find((d) => d.stack === stack && d.component === vuln.component && names.has(d.id));
      const draft = same ?? draftFor(stack, vuln.component, pin, vuln.id, () => ({ severity: vuln.severity, summary: vuln.summary }));
      draft.sources.add("osv");
      for (const name of names) if (name !== draft.id) draft.aliases.add(name);
      draft.modified = { ...draft.modified, ...vuln.modified };
      draft.severity = maxSeverity(draft.severity, vuln.severity);
      draft.url ??= vuln.url;
      if (vuln.packageVersion !== undefined) {
        if (!draft.packages.some((p) => p.name === vuln.package))
          draft.packages.push({ name: vuln.package, installed: vuln.packageVersion, fixed: fixedAbove(vuln.ranges, vuln.packageVersion) });
      } else {
        const fix = fixedAbove(vuln.ranges, packageVersion(parsed.tag));
        draft.catalogFix ??= fix === undefined ? undefined : (CATALOG[vuln.component].tagScheme.vPrefix ? "v" : "") + versionAsTag(fix);
      }
    }
  }

  const firstSeen: Record<string, string> = { ...input.state.firstSeen };
  const newKeys: string[] = [];
  const nowIso = input.now.toISOString();
  const findings: VulnFinding[] = [];
  for (const draft of drafts.values()) {
    const key = `${draft.component}:${draft.id}`;
    const known = firstSeen[key];
    if (known === undefined) newKeys.push(key);
    // A catalog advisory counts from its firstRecorded when that is earlier than the project's own sighting.
    const seen = earliest(known ?? nowIso, draft.firstRecorded) ?? nowIso;
    firstSeen[key] = seen;
    const asAdvisory: Advisory = {
      id: draft.id,
      component: draft.component,
      severity: draft.severity,
      summary: draft.summary,
      affected: { fixed: [] },
      firstRecorded: seen,
      url: draft.url ?? "",
      source: [...draft.sources].join("+"),
    };
    const verdict = advisoryState(asAdvisory, input.now, input.acceptances ?? []);
    const packageFixes = draft.packages.filter((p) => p.fixed !== undefined).map((p) => `${p.name} ${p.fixed}`);
    const fixedIn = draft.catalogFix ?? (packageFixes.length > 0 ? packageFixes.join(", ") : undefined);
    findings.push({
      key,
      stack: draft.stack,
      component: draft.component,
      tag: draft.pin.tag,
      digest: draft.pin.digest,
      id: draft.id,
      severity: draft.severity,
      summary: draft.summary,
      sources: [...draft.sources].sort(),
      ...(draft.aliases.size > 0 ? { aliases: [...draft.aliases].sort() } : {}),
      ...(draft.modified ? { modified: draft.modified } : {}),
      url: draft.url,
      fixedIn,
      packages: draft.packages,
      firstSeen: seen,
      deadline: deadlineOf(asAdvisory)?.toISOString() ?? null,
      state: verdict.state,
      acceptance: verdict.state === "accepted" ? verdict.acceptance : undefined,
      expiredAcceptance: verdict.state === "overdue" ? verdict.expiredAcceptance : undefined,
    });
  }

  const order: Record<FindingState, number> = { overdue: 0, open: 1, accepted: 2 };
  findings.sort(
    (a, b) =>
      order[a.state] - order[b.state] ||
      (a.deadline ?? "9999").localeCompare(b.deadline ?? "9999") ||
      a.stack.localeCompare(b.stack) ||
      COMPONENT_IDS.indexOf(a.component) - COMPONENT_IDS.indexOf(b.component) ||
      a.id.localeCompare(b.id),
  );
  const summary = {
    overdue: findings.filter((f) => f.state === "overdue").length,
    open: findings.filter((f) => f.state === "open" && f.deadline !== null).length,
    accepted: findings.filter((f) => f.state === "accepted").length,
    withoutDeadline: findings.filter((f) => f.state === "open" && f.deadline === null).length,
  };
  const exitCode = summary.overdue > 0 ? 2 : summary.open > 0 ? 1 : 0;
  return { checkedAt: nowIso, findings, state: { ...input.state, firstSeen }, newKeys: [...new Set(newKeys)].sort(), unmatchedReports, summary, exitCode };
}

/** Whether the state changed (a new key or an earlier first sighting): only then is the file rewritten. */
export function stateChanged(before: VulnState, after: VulnState): boolean {
  const keys = new Set([...Object.keys(before.firstSeen), ...Object.keys(after.firstSeen)]);
  return [...keys].some((k) => before.firstSeen[k] !== after.firstSeen[k]);
}

const short = (digest: string): string => digest.slice(0, 19);

const STATE_LABEL: Record<FindingState, string> = { overdue: "OVERDUE", open: "open", accepted: "accepted" };

/** The human report. */
export function formatFindings(result: VulnsResult): string {
  const lines: string[] = [];
  if (result.findings.length === 0) {
    lines.push("No advisories affect the pinned versions.");
  }
  for (const f of result.findings) {
    const due = f.deadline === null ? "no deadline (low)" : `${f.state === "overdue" ? "was due" : "due"} ${f.deadline.slice(0, 16).replace("T", " ")} UTC`;
    lines.push(`${STATE_LABEL[f.state].padEnd(8)}  ${f.stack}/${f.component} ${f.tag}  ${f.id} (${f.severity})  ${due}`);
    if (f.aliases !== undefined) lines.push(`          also: ${f.aliases.join(", ")} (${f.sources.join(" + ")})`);
    lines.push(`          ${f.summary}`);
    if (f.fixedIn !== undefined) lines.push(`          fixed in: ${f.fixedIn}`);
    if (f.packages.length > 0) lines.push(`          packages: ${f.packages.map((p) => `${p.name} ${p.installed}`).join(", ")}`);
    if (f.acceptance) lines.push(`          accepted until ${f.acceptance.expires}: ${f.acceptance.reason}`);
    if (f.expiredAcceptance) lines.push(`          acceptance lapsed ${f.expiredAcceptance.expires}`);
    if (f.url) lines.push(`          ${f.url}`);
  }
  for (const u of result.unmatchedReports) {
    lines.push(
      `warning: ${u.file} (${u.artifact}) matches no pinned digest${u.digests.length > 0 ? ` (${u.digests.map(short).join(", ")})` : " (the report has no repo digest)"}: ignored`,
    );
  }
  const s = result.summary;
  lines.push(
    "",
    `${s.overdue} overdue, ${s.open} open, ${s.accepted} accepted, ${s.withoutDeadline} without deadline${result.newKeys.length > 0 ? `; first seen now: ${result.newKeys.join(", ")}` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
