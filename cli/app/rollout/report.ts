/** The rollout/rollback report as text (the JSON report is the RolloutReport object itself). */
import type { ComponentId } from "../../../catalog";
import type { RolloutNotice } from "../notify/messages";
import type { RolloutReport, StackOutcome } from "./types";

export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const seconds = ms / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatReport(report: RolloutReport): string {
  const lines: string[] = [];
  lines.push(`myoci ${report.command}: ${report.summary} (exit ${report.exitCode}, ${formatDuration(report.durationMs)})`);
  for (const refusal of report.refusals) {
    lines.push(`  refused: ${refusal}`);
  }
  for (const stack of report.stacks) {
    const changes = Object.entries(stack.to).map(([c, pin]) => `${c} ${stack.from[c as keyof typeof stack.from]?.tag ?? "(none)"} → ${pin?.tag}`);
    lines.push(
      `  ${stack.stack}: ${stack.outcome}${changes.length > 0 ? ` [${changes.join(", ")}]` : ""}${stack.rollbackDurationMs !== undefined ? ` — rollback took ${formatDuration(stack.rollbackDurationMs)}${stack.rollbackDurationMs > 300_000 ? " (OVER the 5 min goal)" : ""}` : ""}`,
    );
    for (const file of stack.backups) {
      lines.push(`    backup: ${file}`);
    }
  }
  if (report.steps.length > 0) {
    lines.push("  steps:");
    for (const step of report.steps) {
      lines.push(
        `    ${step.startedAt}  ${step.stack.padEnd(8)} ${step.phase.padEnd(15)} ${(step.ok ? "ok" : "FAILED").padEnd(6)} ${formatDuration(step.durationMs).padStart(9)}  ${step.detail}`,
      );
    }
  }
  if (report.nextSteps.length > 0) {
    lines.push("  next:");
    lines.push(...report.nextSteps.map((line) => `    ${line}`));
  }
  return `${lines.join("\n")}\n`;
}

const NOTICE_OUTCOME: Partial<Record<StackOutcome, RolloutNotice["outcome"]>> = {
  "rolled-out": "succeeded",
  "rolled-back": "rolled-back",
  "rollback-failed": "failed",
  inconclusive: "failed",
  interrupted: "failed",
  "backup-failed": "failed",
};

/** The ntfy notices of a report: one per stack the rollout changed or tried to (untouched and unchanged stacks say nothing). */
export function rolloutNotices(report: RolloutReport): RolloutNotice[] {
  return report.stacks.flatMap((stack) => {
    const outcome = NOTICE_OUTCOME[stack.outcome];
    if (outcome === undefined) {
      return [];
    }
    const components = (Object.keys(stack.to) as ComponentId[]).map((component) => ({
      component,
      from: stack.from[component]?.tag,
      to: stack.to[component]?.tag ?? "",
    }));
    return [{ stack: stack.stack, outcome, finishedAt: report.endedAt, components, detail: outcome === "succeeded" ? undefined : report.summary }];
  });
}
