/**
 * The dashboard's model: what needs action (with counts), then one row per component with a cell per stack
 * (staging beside prod), sorted by urgency. Joins the stack files (declared), the catalog (rules the pins
 * break, end of life), findings (advisories with deadlines), the promotion record (ready to promote, last
 * rollout) and, when given, drift (running), check (updates and their flags) and rollout reports. Pure.
 */
import {
  CATALOG,
  checkCompatibility,
  classifyChange,
  COMPATIBILITY_RULES,
  COMPONENT_IDS,
  endOfLifeState,
  parseTag,
  toVersionSet,
  type ChangeClass,
  type ComponentId,
  type ImagePin,
  type PinSet,
} from "../../../catalog";
import { latestVerified, type PromotionRecord } from "../../../config/promotion-record";
import type { UpdateClass } from "../check/classify";
import type { CheckInput, DriftInput, RolloutInput } from "./inputs";

export interface DashboardStack {
  readonly stack: string;
  readonly images: PinSet;
  /** The stack whose verified pins this one takes (`myoci:promotion.stagingStack`). */
  readonly promotesFrom?: string;
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

/** What the operator has to do, most urgent kind first. */
export const ACTION_KINDS = ["needs-person", "overdue", "due-soon", "drift", "error", "rule", "end-of-life", "promote"] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const ACTION_TITLES: Readonly<Record<ActionKind, string>> = {
  "needs-person": "Rollout needs a person",
  overdue: "Advisory overdue",
  "due-soon": "Advisory due soon",
  drift: "Drift",
  error: "Error",
  rule: "Breaks a rule",
  "end-of-life": "End of life",
  promote: "Ready to promote",
};

/** An advisory is "due soon" when its deadline is at most this far away. */
export const DUE_SOON_MS = 7 * 24 * 3600 * 1000;

export interface ActionItem {
  readonly kind: ActionKind;
  readonly stack: string;
  readonly component?: ComponentId;
  /** What is wrong, in one line. */
  readonly what: string;
  /** What to do next (a command where there is one). */
  readonly next: string;
  readonly severity?: string;
  readonly deadline?: string;
  readonly url?: string;
}

export interface UpdateCandidate {
  readonly kind: UpdateClass;
  readonly tag: string;
  readonly changelog?: string;
  readonly breaks: readonly { readonly rule: string; readonly message: string }[];
  /** Fixes an open finding (set by `check` when it knows). */
  readonly security: boolean;
}

export interface StackCell {
  readonly stack: string;
  readonly declared: ImagePin;
  /** Running version from drift, or null when no drift report covers the stack. */
  readonly running: { readonly tags: readonly string[]; readonly status: string; readonly problems: readonly string[] } | null;
  /** From check, or null when no check report covers the stack. */
  readonly updates: {
    readonly status: string;
    readonly candidates: readonly UpdateCandidate[];
    /** The declared tag now points to another digest. */
    readonly repointed: boolean;
    readonly changelog?: string;
    readonly error?: string;
  } | null;
  readonly endOfLife?: { readonly date: string; readonly reached: boolean; readonly successor?: string };
  readonly advisories: readonly DashboardFinding[];
  /** Earliest deadline among open/overdue advisories. */
  readonly nextDeadline: string | null;
  /** Catalog rules the stack's current pins break that involve this component. */
  readonly rules: readonly { readonly rule: string; readonly message: string }[];
  /** The source stack (staging) pins another version: the step from here to it, and whether the source verified it. */
  readonly fromSource?: { readonly from: string; readonly tag: string; readonly change: ChangeClass | "digest"; readonly verified: boolean };
  /** Verified on the source stack, not yet here. */
  readonly readyToPromote?: { readonly from: string; readonly tag: string; readonly recordedAt: string };
  readonly lastRollout: { readonly kind: "verified" | "adopted"; readonly recordedAt: string; readonly tag: string; readonly current: boolean } | null;
  readonly needsPerson?: string;
}

export interface ComponentRow {
  readonly component: ComponentId;
  readonly title: string;
  /** Stack → cell (absent: the stack does not run the component). */
  readonly cells: Readonly<Record<string, StackCell | undefined>>;
  readonly actions: readonly ActionItem[];
  /** Higher is more urgent: the table's order. */
  readonly urgency: number;
}

export interface DashboardModel {
  readonly stacks: readonly string[];
  readonly actions: readonly ActionItem[];
  readonly counts: Readonly<Record<ActionKind, number>>;
  readonly rows: readonly ComponentRow[];
  /** How many (stack, component) cells there are. */
  readonly cells: number;
}

export interface DashboardInput {
  readonly stacks: readonly DashboardStack[];
  readonly check?: CheckInput;
  readonly drift?: readonly DriftInput[];
  readonly rollouts?: readonly RolloutInput[];
  readonly findings: readonly DashboardFinding[];
  readonly promotions: PromotionRecord;
  readonly now: Date;
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 4, high: 3, unrated: 3, medium: 2, low: 1 };
const UPDATE_URGENCY: Readonly<Record<string, number>> = { major: 0.4, minor: 0.3, patch: 0.2, digest: 0.1 };
const COMPATIBILITY_RULE_COMPONENTS = new Map(COMPATIBILITY_RULES.map((r) => [r.id, r.components]));
const STUCK_OUTCOMES = new Set(["rollback-failed", "inconclusive", "interrupted", "backup-failed"]);

/** Stacks in display order: promotion sources before the stacks that take from them, then by name. */
export function orderStacks(stacks: readonly DashboardStack[]): string[] {
  const sources = new Set(stacks.map((s) => s.promotesFrom).filter((s): s is string => s !== undefined));
  const rank = (s: DashboardStack) => (sources.has(s.stack) ? 0 : s.promotesFrom !== undefined ? 2 : 1);
  return [...stacks].sort((a, b) => rank(a) - rank(b) || a.stack.localeCompare(b.stack)).map((s) => s.stack);
}

function buildCell(input: DashboardInput, stack: DashboardStack, component: ComponentId, declared: ImagePin, rules: StackCell["rules"]): StackCell {
  const checked = input.check?.stacks.find((s) => s.stack === stack.stack);
  const drift = input.drift?.find((d) => d.stack === stack.stack);
  const c = checked?.components.find((x) => x.component === component);
  const d = drift?.components.find((x) => x.component === component);
  const entry = CATALOG[component];
  const advisories = input.findings.filter((f) => f.stack === stack.stack && f.component === component);
  const deadlines = advisories
    .filter((f) => f.state !== "accepted" && f.deadline !== null)
    .map((f) => f.deadline as string)
    .sort();
  const verified = latestVerified(input.promotions, stack.stack)[component];
  const adopted = [...input.promotions.entries].reverse().find((e) => e.kind === "adopted" && e.stack === stack.stack);
  const a = adopted?.images[component];
  let readyToPromote: StackCell["readyToPromote"];
  let fromSource: StackCell["fromSource"];
  const from = stack.promotesFrom !== undefined ? input.stacks.find((s) => s.stack === stack.promotesFrom) : undefined;
  if (from) {
    const sourcePin = from.images[component];
    const sourceVerified = latestVerified(input.promotions, from.stack)[component];
    const verifiedThere = sourcePin !== undefined && sourceVerified?.digest === sourcePin.digest;
    if (sourcePin && sourcePin.digest !== declared.digest) {
      const here = parseTag(declared.tag, entry.tagScheme);
      const there = parseTag(sourcePin.tag, entry.tagScheme);
      const change = sourcePin.tag === declared.tag ? "digest" : here.ok && there.ok ? classifyChange(here.tag, there.tag) : "none";
      fromSource = { from: from.stack, tag: sourcePin.tag, change, verified: verifiedThere };
      if (verifiedThere && sourceVerified) {
        readyToPromote = { from: from.stack, tag: sourcePin.tag, recordedAt: sourceVerified.recordedAt };
      }
    }
  }
  const endOfLife = endOfLifeState(component, input.now);
  const stuck = [...(input.rollouts ?? [])]
    .reverse()
    .flatMap((r) =>
      r.stacks.filter((s) => s.stack === stack.stack && STUCK_OUTCOMES.has(s.outcome) && s.to[component] !== undefined).map((s) => ({ r, s })),
    )[0];
  return {
    stack: stack.stack,
    declared,
    running: drift
      ? { tags: [...new Set((d?.containers ?? []).map((x) => x.tag ?? "(no label)"))], status: d?.status ?? "missing", problems: d?.problems ?? [] }
      : null,
    updates: checked
      ? c
        ? {
            status: c.status,
            candidates: (["patch", "minor", "major"] as const).flatMap((kind) => {
              const candidate = c.newest[kind];
              return candidate
                ? [{ kind, tag: candidate.tag, changelog: candidate.changelog, breaks: candidate.breaks ?? [], security: candidate.security === true }]
                : [];
            }),
            repointed: c.status === "digest" || c.digestChanged === true,
            changelog: c.changelog,
            error: c.error,
          }
        : { status: checked.error !== undefined ? "error" : "not checked", candidates: [], repointed: false, error: checked.error }
      : null,
    endOfLife: endOfLife ? { date: endOfLife.date, reached: endOfLife.reached, successor: endOfLife.successor } : undefined,
    advisories,
    nextDeadline: deadlines[0] ?? null,
    rules,
    fromSource,
    readyToPromote,
    lastRollout: verified
      ? { kind: "verified", recordedAt: verified.recordedAt, tag: verified.tag, current: verified.digest === declared.digest }
      : a && adopted
        ? { kind: "adopted", recordedAt: adopted.recordedAt, tag: a.tag, current: a.digest === declared.digest }
        : null,
    needsPerson: stuck ? `${stuck.r.command} ${stuck.s.outcome} (${stuck.r.endedAt.slice(0, 16).replace("T", " ")} UTC): ${stuck.r.summary}` : undefined,
  };
}

/** The action items of one cell, in ACTION_KINDS order. */
function cellActions(cell: StackCell, component: ComponentId, now: number, ruleOwner: (rule: string) => ComponentId | undefined): ActionItem[] {
  const at = { stack: cell.stack, component };
  const items: ActionItem[] = [];
  if (cell.needsPerson !== undefined) {
    items.push({
      ...at,
      kind: "needs-person",
      what: cell.needsPerson,
      next: "read the rollout report's next steps, then `npx myoci rollout` again or `npx myoci rollback`",
    });
  }
  for (const f of cell.advisories) {
    if (f.state === "accepted" || f.deadline === null) continue;
    const due = Date.parse(f.deadline);
    const kind: ActionKind | undefined = f.state === "overdue" || due <= now ? "overdue" : due - now <= DUE_SOON_MS ? "due-soon" : undefined;
    if (kind === undefined) continue;
    const fix = `update ${component} on ${cell.stack} (\`npx myoci pin\` / \`npx myoci rollout\`) or accept the risk in risk-acceptances.yaml`;
    items.push({ ...at, kind, what: `${f.id} (${f.severity})`, next: fix, severity: f.severity, deadline: f.deadline, url: f.url });
  }
  if (cell.running && cell.running.status !== "in-sync") {
    const what = cell.running.problems.length > 0 ? cell.running.problems.join("; ") : `${cell.running.status}: no container runs the pin`;
    items.push({ ...at, kind: "drift", what, next: `\`pulumi up --stack ${cell.stack}\` (or \`npx myoci drift --stack ${cell.stack}\` for details)` });
  }
  if (cell.updates?.status === "error") {
    items.push({
      ...at,
      kind: "error",
      what: `not checked: ${cell.updates.error ?? "unknown error"}`,
      next: "fix the registry access, then `npx myoci check` again",
    });
  }
  // A rule broken by several components is one item, on the first of them.
  for (const r of cell.rules.filter((x) => ruleOwner(x.rule) === component)) {
    items.push({ ...at, kind: "rule", what: `breaks ${r.rule}: ${r.message}`, next: "pin compatible versions (`npx myoci pin`)" });
  }
  if (cell.endOfLife?.reached) {
    const successor = cell.endOfLife.successor !== undefined ? `; successor: ${cell.endOfLife.successor}` : "";
    items.push({
      ...at,
      kind: "end-of-life",
      what: `end of life since ${cell.endOfLife.date}${successor}`,
      next: "plan the move to a supported version or the successor",
    });
  }
  if (cell.readyToPromote) {
    const p = cell.readyToPromote;
    items.push({
      ...at,
      kind: "promote",
      what: `${p.tag} verified on ${p.from} ${p.recordedAt.slice(0, 10)}; ${cell.stack} runs ${cell.declared.tag}`,
      next: `\`npx myoci promote --from ${p.from} --to ${cell.stack} ${component}\``,
    });
  }
  return items;
}

/** Errors that belong to a whole stack (a check that could not read its file). */
function stackActions(input: DashboardInput): ActionItem[] {
  return (input.check?.stacks ?? [])
    .filter((s) => s.error !== undefined)
    .map((s) => ({ kind: "error" as const, stack: s.stack, what: `check failed: ${s.error ?? ""}`, next: "fix the stack file, then `npx myoci check` again" }));
}

const kindIndex = (kind: ActionKind): number => ACTION_KINDS.indexOf(kind);

export function compareActions(a: ActionItem, b: ActionItem): number {
  return (
    kindIndex(a.kind) - kindIndex(b.kind) ||
    (SEVERITY_RANK[b.severity ?? ""] ?? 0) - (SEVERITY_RANK[a.severity ?? ""] ?? 0) ||
    (a.deadline ?? "9999").localeCompare(b.deadline ?? "9999") ||
    a.stack.localeCompare(b.stack) ||
    (a.component ?? "").localeCompare(b.component ?? "")
  );
}

export function buildModel(input: DashboardInput): DashboardModel {
  const now = input.now.getTime();
  const stacks = orderStacks(input.stacks);
  // Rules the current pins break, per stack (offline: the catalog's compatibility rules).
  const broken = new Map(
    input.stacks.map((s) => {
      const tags = Object.fromEntries(COMPONENT_IDS.filter((id) => s.images[id]).map((id) => [id, s.images[id]?.tag]));
      return [s.stack, checkCompatibility(toVersionSet(tags).versions)];
    }),
  );
  const rows: ComponentRow[] = [];
  let cells = 0;
  for (const component of COMPONENT_IDS) {
    const byStack: Record<string, StackCell | undefined> = {};
    const actions: ActionItem[] = [];
    let updateUrgency = 0;
    for (const stack of input.stacks) {
      const declared = stack.images[component];
      if (!declared) continue;
      const rules = (broken.get(stack.stack) ?? []).filter((v) => COMPATIBILITY_RULE_COMPONENTS.get(v.rule)?.includes(component));
      const cell = buildCell(input, stack, component, declared, rules);
      byStack[stack.stack] = cell;
      cells += 1;
      const owner = (rule: string) => COMPATIBILITY_RULE_COMPONENTS.get(rule)?.find((c) => stack.images[c] !== undefined);
      actions.push(...cellActions(cell, component, now, owner));
      updateUrgency = Math.max(
        updateUrgency,
        UPDATE_URGENCY[cell.updates?.status ?? ""] ?? 0,
        (UPDATE_URGENCY[cell.fromSource?.change ?? ""] ?? 0) / 2,
        cell.updates?.candidates.some((c) => c.security) ? 0.5 : 0,
      );
    }
    if (Object.keys(byStack).length === 0) continue;
    actions.sort(compareActions);
    const first = actions[0];
    // Kind first (8 … 1), then severity, then updates waiting.
    const urgency = first ? (ACTION_KINDS.length - kindIndex(first.kind)) * 10 + (SEVERITY_RANK[first.severity ?? ""] ?? 0) + updateUrgency : updateUrgency;
    rows.push({ component, title: CATALOG[component].title, cells: byStack, actions, urgency });
  }
  rows.sort((a, b) => b.urgency - a.urgency || COMPONENT_IDS.indexOf(a.component) - COMPONENT_IDS.indexOf(b.component));
  const actions = [...stackActions(input), ...rows.flatMap((r) => r.actions)].sort(compareActions);
  const counts = Object.fromEntries(ACTION_KINDS.map((k) => [k, actions.filter((a) => a.kind === k).length])) as Record<ActionKind, number>;
  return { stacks, actions, counts, rows, cells };
}
