/**
 * The dashboard's rows: one per stack and declared component, joining the stack files (declared), drift
 * (running), check (updates), the catalog (end of life), findings (advisories with deadlines) and the
 * promotion record (last rollout). Pure; absent inputs show as "unknown" / "not checked".
 */
import { CATALOG, COMPONENT_IDS, type ComponentId, type ImagePin, type PinSet } from "../../../catalog";
import { latestVerified, type PromotionRecord } from "../../../config/promotion-record";
import type { CheckInput, DriftInput } from "./inputs";

export interface DashboardStack {
  readonly stack: string;
  readonly images: PinSet;
}

export interface DashboardFinding {
  readonly stack: string;
  readonly component: ComponentId;
  readonly id: string;
  readonly severity: string;
  readonly deadline: string | null;
  readonly state: "open" | "overdue" | "accepted";
  readonly url?: string;
}

export interface DashboardRow {
  readonly stack: string;
  readonly component: ComponentId;
  readonly title: string;
  readonly declared: ImagePin;
  /** Running version(s) from drift, or null when no drift report covers the stack. */
  readonly running: { readonly tags: readonly string[]; readonly status: string; readonly problems: readonly string[] } | null;
  /** Newest candidate per class, or null when no check report covers the stack. */
  readonly updates: { readonly status: string; readonly patch?: string; readonly minor?: string; readonly major?: string; readonly error?: string } | null;
  readonly endOfLife?: { readonly date: string; readonly reached: boolean; readonly successor?: string };
  readonly advisories: readonly DashboardFinding[];
  /** Earliest deadline among open/overdue advisories. */
  readonly nextDeadline: string | null;
  readonly lastRollout: { readonly kind: "verified" | "adopted"; readonly recordedAt: string; readonly tag: string; readonly current: boolean } | null;
}

export interface DashboardInput {
  readonly stacks: readonly DashboardStack[];
  readonly check?: CheckInput;
  readonly drift?: readonly DriftInput[];
  readonly findings: readonly DashboardFinding[];
  readonly promotions: PromotionRecord;
  readonly now: Date;
}

export function buildRows(input: DashboardInput): DashboardRow[] {
  const rows: DashboardRow[] = [];
  for (const { stack, images } of input.stacks) {
    const checked = input.check?.stacks.find((s) => s.stack === stack);
    const drift = input.drift?.find((d) => d.stack === stack);
    const verified = latestVerified(input.promotions, stack);
    const adopted = [...input.promotions.entries].reverse().find((e) => e.kind === "adopted" && e.stack === stack);
    for (const component of COMPONENT_IDS) {
      const declared = images[component];
      if (!declared) continue;
      const entry = CATALOG[component];
      const c = checked?.components.find((x) => x.component === component);
      const d = drift?.components.find((x) => x.component === component);
      const advisories = input.findings.filter((f) => f.stack === stack && f.component === component);
      const deadlines = advisories
        .filter((f) => f.state !== "accepted" && f.deadline !== null)
        .map((f) => f.deadline as string)
        .sort();
      const v = verified[component];
      const a = adopted?.images[component];
      rows.push({
        stack,
        component,
        title: entry.title,
        declared,
        running: drift
          ? { tags: [...new Set((d?.containers ?? []).map((x) => x.tag ?? "(no label)"))], status: d?.status ?? "missing", problems: d?.problems ?? [] }
          : null,
        updates: checked
          ? c
            ? { status: c.status, patch: c.newest.patch?.tag, minor: c.newest.minor?.tag, major: c.newest.major?.tag, error: c.error }
            : { status: checked.error !== undefined ? "error" : "not checked", error: checked.error }
          : null,
        endOfLife: entry.endOfLife
          ? { date: entry.endOfLife.date, reached: Date.parse(entry.endOfLife.date) <= input.now.getTime(), successor: entry.endOfLife.successor }
          : undefined,
        advisories,
        nextDeadline: deadlines[0] ?? null,
        lastRollout: v
          ? { kind: "verified", recordedAt: v.recordedAt, tag: v.tag, current: v.digest === declared.digest }
          : a && adopted
            ? { kind: "adopted", recordedAt: adopted.recordedAt, tag: a.tag, current: a.digest === declared.digest }
            : null,
      });
    }
  }
  return rows;
}
