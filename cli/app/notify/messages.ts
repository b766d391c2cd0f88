/**
 * ntfy messages for vulnerability findings, `myoci check` results and rollout results. Pure: each message carries
 * a dedupe key and a fingerprint of what it says, so only new subjects and real changes are sent.
 */
import { changelogUrl, type ComponentId, type Severity } from "../../../catalog";
import type { VulnFinding } from "../vulns/findings";
import type { NtfyMessage, NtfyPriority } from "../../adapters/ntfy";

export const SEVERITY_PRIORITY: Readonly<Record<Severity, NtfyPriority>> = { critical: 5, high: 4, unrated: 4, medium: 3, low: 2 };

const utc = (iso: string): string =>
  iso
    .replace("T", " ")
    .replace(/(:\d\d)(\.\d+)?Z$/, "$1 UTC")
    .replace(/:00 UTC$/, " UTC");

/** One message per finding that has a deadline and is not accepted (low findings are listed by `myoci vulns` only). */
export function findingMessages(findings: readonly VulnFinding[]): NtfyMessage[] {
  return findings
    .filter((f) => f.state !== "accepted" && f.deadline !== null)
    .map((f) => {
      const overdue = f.state === "overdue";
      const lines = [
        `**${f.id}** (${f.severity}) affects **${f.component}** \`${f.tag}\` on stack **${f.stack}**.`,
        "",
        f.summary,
        "",
        `- ${overdue ? "Deadline passed" : "Respond by"}: ${utc(f.deadline as string)} (first seen ${utc(f.firstSeen)})`,
        `- Fixed in: ${f.fixedIn ?? "no fix known yet"}`,
      ];
      if (f.packages.length > 0) lines.push(`- Packages: ${f.packages.map((p) => `${p.name} ${p.installed}`).join(", ")}`);
      if (f.expiredAcceptance) lines.push(`- Risk acceptance lapsed ${f.expiredAcceptance.expires}`);
      if (f.url) lines.push("", `[Advisory](${f.url})`);
      return {
        key: `vuln:${f.stack}:${f.component}:${f.id}`,
        fingerprint: [f.state, f.severity, f.deadline, f.fixedIn ?? "", f.tag].join("|"),
        title: `[${f.stack}] ${f.component} ${f.tag}: ${f.id} ${f.severity}${overdue ? " OVERDUE" : ""}`,
        body: lines.join("\n"),
        priority: overdue ? 5 : SEVERITY_PRIORITY[f.severity],
        tags: [overdue ? "rotating_light" : "warning", f.severity, f.stack, f.component],
        click: f.url,
      };
    });
}

/** The subset of `myoci check --json` (schemaVersion 1) that notifications read. */
export interface CheckCandidateLike {
  readonly tag: string;
  readonly changelog: string;
  /** Fixes an open finding (`myoci check` with the OSV snapshot / catalog). */
  readonly security?: boolean;
  readonly fixes?: readonly string[];
}
export interface CheckComponentLike {
  readonly component: ComponentId;
  readonly declared: { readonly tag: string; readonly digest: string };
  readonly status: string;
  readonly currentDigest?: string;
  readonly newest: { readonly patch?: CheckCandidateLike; readonly minor?: CheckCandidateLike; readonly major?: CheckCandidateLike };
  readonly endOfLife?: { readonly date: string; readonly reached: boolean; readonly note: string };
  readonly advisories: readonly { readonly id: string; readonly severity: string; readonly summary: string; readonly fixedIn?: string; readonly url: string }[];
  readonly changelog: string;
}
export interface CheckReportLike {
  readonly stacks: readonly { readonly stack: string; readonly error?: string; readonly components: readonly CheckComponentLike[] }[];
}

const severityOf = (value: string): Severity => (value in SEVERITY_PRIORITY ? (value as Severity) : "unrated");

/** One message per component with an update (digest, patch, minor or major); errors and up-to-date pins send nothing. */
export function checkMessages(report: CheckReportLike): NtfyMessage[] {
  const messages: NtfyMessage[] = [];
  for (const stack of report.stacks) {
    for (const c of stack.components) {
      if (c.status === "up-to-date" || c.status === "error") continue;
      const classes = (["patch", "minor", "major"] as const).filter((k) => c.newest[k] !== undefined);
      const lines = [`**${c.component}** \`${c.declared.tag}\` on stack **${stack.stack}**:`, ""];
      for (const k of classes) {
        const candidate = c.newest[k] as CheckCandidateLike;
        lines.push(
          `- ${k}: \`${candidate.tag}\`${candidate.security ? ` **security update** (fixes ${(candidate.fixes ?? []).join(", ")})` : ""} ([changelog](${candidate.changelog}))`,
        );
      }
      if (c.status === "digest" || (c.currentDigest !== undefined && c.currentDigest !== c.declared.digest)) {
        lines.push(`- tag \`${c.declared.tag}\` was re-pointed to another digest`);
      }
      for (const a of c.advisories) {
        lines.push(`- advisory **${a.id}** (${a.severity}): ${a.summary}${a.fixedIn ? ` Fixed in ${a.fixedIn}.` : ""}`);
      }
      if (c.endOfLife) lines.push(`- end of life ${c.endOfLife.date}${c.endOfLife.reached ? " (reached)" : ""}: ${c.endOfLife.note}`);
      lines.push("", `Pin with \`myoci pin --stack ${stack.stack} ${c.component} <tag>\` after reading the changelog.`);
      const worst = c.advisories.map((a) => SEVERITY_PRIORITY[severityOf(a.severity)]).reduce<number>((a, b) => Math.max(a, b), 0);
      // A security update is at least "high" (4): it closes an open finding.
      const security = classes.some((k) => c.newest[k]?.security === true);
      const priority = Math.max(worst > 0 ? worst : c.status === "digest" ? 2 : 3, security ? 4 : 0) as NtfyPriority;
      const first = classes[0] !== undefined ? c.newest[classes[0]] : undefined;
      const offer = classes.map((k) => `${k} ${(c.newest[k] as CheckCandidateLike).tag}`).join(", ");
      messages.push({
        key: `check:${stack.stack}:${c.component}`,
        fingerprint: [
          c.declared.tag,
          c.declared.digest,
          c.currentDigest ?? "",
          ...classes.map((k) => (c.newest[k] as CheckCandidateLike).tag),
          ...c.advisories.map((a) => a.id),
        ].join("|"),
        title: `[${stack.stack}] ${c.component} ${c.declared.tag}: ${offer !== "" ? offer : "new digest"}${security ? " (security)" : ""}`,
        body: lines.join("\n"),
        priority,
        tags: [worst >= 4 || security ? "warning" : "package", ...(security ? ["security"] : []), c.status, stack.stack, c.component],
        click: first?.changelog ?? c.changelog,
      });
    }
  }
  return messages;
}

/** What a rollout reports when it ends (the rollout command builds this from its own result). */
export interface RolloutNotice {
  readonly stack: string;
  readonly outcome: "succeeded" | "rolled-back" | "failed";
  /** ISO time the rollout ended: with the stack, the message's identity. */
  readonly finishedAt: string;
  readonly components: readonly { readonly component: ComponentId; readonly from?: string; readonly to: string }[];
  /** One line on why (failed health check, …). */
  readonly detail?: string;
}

const OUTCOME: Record<RolloutNotice["outcome"], { priority: NtfyPriority; tag: string; word: string }> = {
  succeeded: { priority: 3, tag: "white_check_mark", word: "succeeded" },
  "rolled-back": { priority: 4, tag: "leftwards_arrow_with_hook", word: "rolled back" },
  failed: { priority: 5, tag: "x", word: "FAILED" },
};

export function rolloutMessage(notice: RolloutNotice): NtfyMessage {
  const o = OUTCOME[notice.outcome];
  const lines = [`Rollout on **${notice.stack}** ${o.word} at ${utc(notice.finishedAt)}.`, ""];
  for (const c of notice.components) lines.push(`- ${c.component}: ${c.from !== undefined ? `\`${c.from}\` → ` : ""}\`${c.to}\``);
  if (notice.detail) lines.push("", notice.detail);
  const single = notice.components.length === 1 ? notice.components[0] : undefined;
  const click = single ? changelogUrl(single.component, single.to) : undefined;
  return {
    key: `rollout:${notice.stack}:${notice.finishedAt}`,
    fingerprint: notice.outcome,
    title: `[${notice.stack}] rollout ${o.word}: ${notice.components.map((c) => `${c.component} ${c.to}`).join(", ") || "no changes"}`,
    body: lines.join("\n"),
    priority: o.priority,
    tags: [o.tag, notice.outcome, notice.stack],
    click,
  };
}
