/**
 * One static HTML page, no JavaScript and no external assets (works from file://, a CI artifact or any static
 * host): what the page knows, "Needs action" with counts, then the components, staging beside prod, by urgency.
 * Every mark is a shape and a word as well as a colour (Okabe–Ito palette), and every flag is text on the page.
 */
import { ACTION_KINDS, ACTION_TITLES, type ActionItem, type ActionKind, type ComponentRow, type DashboardModel, type StackCell } from "./model";

export interface PageMeta {
  readonly generatedAt: string;
  /** When `myoci check` ran (absent: updates not checked). */
  readonly checkedAt?: string;
  readonly driftStacks: readonly string[];
  readonly vulnsSource: string;
  readonly rollouts: number;
}

const escape = (value: string): string =>
  value.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string);

const minute = (iso: string): string => `${iso.slice(0, 16).replace("T", " ")} UTC`;
const code = (text: string): string => `<code>${escape(text)}</code>`;
/** Inline code spans written as `…` in model text. */
const withCode = (text: string): string => escape(text).replace(/`([^`]+)`/g, "<code>$1</code>");

/** Marks: class (colour), shape and word. */
export const KIND_MARKS: Readonly<Record<ActionKind, readonly [string, string]>> = {
  "needs-person": ["⚑", "needs a person"],
  overdue: ["‼", "overdue"],
  "due-soon": ["◷", "due soon"],
  drift: ["≠", "drift"],
  error: ["✕", "error"],
  rule: ["⊘", "breaks a rule"],
  "end-of-life": ["†", "end of life"],
  promote: ["⇒", "ready to promote"],
};
export const SEVERITY_MARKS: Readonly<Record<string, string>> = { critical: "◆", high: "▲", unrated: "◇", medium: "●", low: "○" };
export const UPDATE_MARKS: Readonly<Record<string, readonly [string, string]>> = {
  major: ["⇈", "major"],
  minor: ["↑", "minor"],
  patch: ["↗", "patch"],
  digest: ["↻", "new digest"],
  "up-to-date": ["✓", "up to date"],
  error: ["✕", "error"],
  "not checked": ["?", "not checked"],
};

const mark = (cls: string, shape: string, word: string, extra = ""): string =>
  `<span class="mark ${cls}"><span class="shape" aria-hidden="true">${shape}</span> ${escape(word)}${extra}</span>`;
const kindMark = (kind: ActionKind): string => mark(`k-${kind}`, KIND_MARKS[kind][0], KIND_MARKS[kind][1]);
const severityMark = (severity: string): string => mark(`sev-${escape(severity)}`, SEVERITY_MARKS[severity] ?? "◇", severity);
const updateMark = (status: string): string => {
  const [shape, word] = UPDATE_MARKS[status] ?? ["?", status];
  return mark(`up-${status.replace(/\s/g, "-")}`, shape, word);
};

function actionRow(item: ActionItem): string {
  const where = `${escape(item.stack)}${item.component !== undefined ? ` / <strong>${escape(item.component)}</strong>` : ""}`;
  const what = item.url !== undefined ? `<a href="${escape(item.url)}">${escape(item.what)}</a>` : escape(item.what);
  const severity = item.severity !== undefined ? `${severityMark(item.severity)} ` : "";
  const due = item.deadline !== undefined ? `${item.kind === "overdue" ? "since" : "by"} ${escape(minute(item.deadline))}` : "";
  return `<tr data-kind="${item.kind}"><td>${kindMark(item.kind)}</td><td>${where}</td><td>${severity}${what}</td><td>${due}</td><td>${withCode(item.next)}</td></tr>`;
}

function needsAction(model: DashboardModel): string {
  const total = model.actions.length;
  const counts = ACTION_KINDS.map(
    (kind) =>
      `<li data-kind="${kind}" class="${model.counts[kind] > 0 ? "some" : "none"}">${kindMark(kind)} <span class="count">${model.counts[kind]}</span> <span class="label">${escape(ACTION_TITLES[kind])}</span></li>`,
  ).join("");
  const body =
    total === 0
      ? '<p class="all-clear">✓ Nothing needs action in what this page knows (see "What this page knows" for what it does not).</p>'
      : `<table id="actions"><thead><tr><th scope="col">Kind</th><th scope="col">Where</th><th scope="col">What</th><th scope="col">Deadline</th><th scope="col">Next step</th></tr></thead><tbody>
${model.actions.map(actionRow).join("\n")}
</tbody></table>`;
  return `<section id="needs-action" aria-labelledby="needs-action-title">
<h2 id="needs-action-title">Needs action <span class="total">(${total})</span></h2>
<ul class="counts">${counts}</ul>
${body}
</section>`;
}

function updatesBlock(cell: StackCell): string {
  const u = cell.updates;
  if (!u) return '<div class="updates muted">updates: not checked</div>';
  const parts: string[] = [];
  if (u.status === "error" || u.status === "not checked") {
    parts.push(`${updateMark(u.status)}${u.error !== undefined ? ` <span class="reason">${escape(u.error)}</span>` : ""}`);
  } else if (u.candidates.length === 0) {
    parts.push(updateMark(u.status === "digest" ? "digest" : "up-to-date"));
  }
  for (const c of u.candidates) {
    const link = c.changelog !== undefined ? ` <a class="changelog" href="${escape(c.changelog)}">changelog</a>` : "";
    const security = c.security ? ` ${mark("security", "⛨", "security")}` : "";
    parts.push(`${updateMark(c.kind)} ${code(c.tag)}${security}${link}`);
  }
  const flags: string[] = [];
  if (u.repointed) flags.push(mark("flag", "↻", "tag re-pointed", u.status === "digest" ? ": the pinned tag now names another image" : ""));
  for (const c of u.candidates) {
    for (const rule of [...new Set(c.breaks.map((b) => b.rule))]) {
      flags.push(mark("flag rule", "⊘", `${c.tag} breaks ${rule}`));
    }
  }
  return `<div class="updates">${parts.join("<br>")}${flags.length > 0 ? `<div class="flags">${flags.join(" ")}</div>` : ""}</div>`;
}

function cellHtml(cell: StackCell | undefined, now: number): string {
  if (!cell) return '<td class="absent"><span class="muted">not on this stack</span></td>';
  const lines: string[] = [];
  lines.push(`<div class="pin">${code(cell.declared.tag)} <span class="digest">${escape(cell.declared.digest.slice(7, 19))}</span></div>`);
  if (cell.needsPerson !== undefined) lines.push(`<div>${kindMark("needs-person")} ${escape(cell.needsPerson)}</div>`);
  for (const r of cell.rules) lines.push(`<div>${kindMark("rule")} ${escape(r.rule)}: ${escape(r.message)}</div>`);
  if (!cell.running) {
    lines.push('<div class="running"><span class="muted">running: unknown</span></div>');
  } else if (cell.running.status === "in-sync") {
    lines.push(`<div class="running">running ${cell.running.tags.map(code).join(" ")} ${mark("in-sync", "=", "in sync")}</div>`);
  } else {
    const problems = cell.running.problems.length > 0 ? ` <span class="reason">${escape(cell.running.problems.join("; "))}</span>` : "";
    lines.push(
      `<div class="running">running ${cell.running.tags.map(code).join(" ") || "—"} ${kindMark("drift")} ${escape(cell.running.status)}${problems}</div>`,
    );
  }
  lines.push(updatesBlock(cell));
  for (const a of cell.advisories) {
    const name = a.url !== undefined ? `<a href="${escape(a.url)}">${escape(a.id)}</a>` : escape(a.id);
    const due =
      a.state === "accepted"
        ? " accepted"
        : a.deadline === null
          ? " no deadline"
          : Date.parse(a.deadline) <= now || a.state === "overdue"
            ? ` <strong>overdue since ${escape(minute(a.deadline))}</strong>`
            : ` due ${escape(minute(a.deadline))}`;
    lines.push(`<div class="advisory">${severityMark(a.severity)} ${name}${due}</div>`);
  }
  if (cell.endOfLife) {
    const e = cell.endOfLife;
    lines.push(
      e.reached
        ? `<div>${kindMark("end-of-life")} since ${escape(e.date)}${e.successor !== undefined ? `, successor ${code(e.successor)}` : ""}</div>`
        : `<div class="muted">end of life ${escape(e.date)}</div>`,
    );
  }
  if (cell.readyToPromote) {
    const p = cell.readyToPromote;
    lines.push(`<div>${kindMark("promote")} ${code(p.tag)} verified on ${escape(p.from)} ${escape(p.recordedAt.slice(0, 10))}</div>`);
  } else if (cell.fromSource) {
    const f = cell.fromSource;
    const step = UPDATE_MARKS[f.change] ? `${updateMark(f.change)} ` : `${escape(f.change)} `;
    lines.push(`<div class="from-source">${escape(f.from)} runs ${step}${code(f.tag)}, not verified there yet</div>`);
  }
  const r = cell.lastRollout;
  lines.push(
    r
      ? `<div class="muted">${escape(r.kind)} ${escape(r.recordedAt.slice(0, 10))} ${code(r.tag)}${r.current ? "" : " (not the pin)"}</div>`
      : '<div class="muted">never verified here</div>',
  );
  return `<td data-stack="${escape(cell.stack)}">${lines.join("")}</td>`;
}

function rowHtml(row: ComponentRow, stacks: readonly string[], now: number): string {
  const kinds = [...new Set(row.actions.map((a) => a.kind))];
  const marks = kinds.length > 0 ? `<div class="row-marks">${kinds.map(kindMark).join(" ")}</div>` : "";
  return `<tr data-component="${row.component}"><th scope="row"><strong>${escape(row.component)}</strong><br><span class="muted">${escape(row.title)}</span>${marks}</th>${stacks
    .map((s) => cellHtml(row.cells[s], now))
    .join("")}</tr>`;
}

function sources(meta: PageMeta, stacks: readonly string[]): string {
  const known = (ok: boolean, what: string, detail: string) =>
    `<li class="${ok ? "src-known" : "src-unknown"}">${ok ? mark("known", "✓", "known") : mark("unknown", "?", "unknown")} <strong>${what}</strong>: ${detail}</li>`;
  const missingDrift = stacks.filter((s) => !meta.driftStacks.includes(s));
  return `<section id="sources"><h2>What this page knows</h2><ul>
${known(true, "Pins, catalog rules, end of life, ready to promote", "the stack files, the catalog and promotions.yaml")}
${known(true, "Advisories and deadlines", withCode(meta.vulnsSource))}
${known(meta.checkedAt !== undefined, "Updates", meta.checkedAt !== undefined ? `checked ${escape(minute(meta.checkedAt))}` : "not checked — run <code>npx myoci check --json &gt; check.json</code> and pass <code>--check-json check.json</code>")}
${known(missingDrift.length === 0, "Running versions", missingDrift.length === 0 ? `drift of ${stacks.map(escape).join(", ")}` : `unknown for ${missingDrift.map(escape).join(", ")} — pass <code>--drift-json</code> (<code>npx myoci drift --stack &lt;s&gt; --json</code>)`)}
${known(meta.rollouts > 0, "Rollouts", meta.rollouts > 0 ? `${meta.rollouts} report${meta.rollouts === 1 ? "" : "s"}` : "no rollout report given — pass <code>--rollout-json</code>")}
</ul></section>`;
}

const STYLE = `body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:1.2rem 1.5rem;color:#1d232a;max-width:1500px}
h1{font-size:1.35rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}p.meta{color:#58606b;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d6dae0;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#eef1f5}tbody th{font-weight:normal;min-width:9rem}td>div{margin:.1rem 0}code{font:12.5px "DejaVu Sans Mono",monospace}
.muted{color:#6a727c}.digest{color:#6a727c;font:11px "DejaVu Sans Mono",monospace}.reason{color:#3b434c}
#sources ul{list-style:none;padding:0;margin:0;columns:2}#sources li{margin:.15rem 0}
#needs-action{border:2px solid #1d232a;border-radius:6px;padding:.2rem .9rem .7rem}
ul.counts{list-style:none;display:flex;flex-wrap:wrap;gap:.4rem 1.1rem;padding:0;margin:.2rem 0 .7rem}ul.counts li.none{opacity:.45}
ul.counts .count{font-weight:700;font-size:1.1rem}
.mark{display:inline-block;border:1.5px solid currentColor;border-radius:4px;padding:0 .35rem;font-size:12.5px;font-weight:600;white-space:nowrap;line-height:1.5}
.shape{font-weight:700}
.k-needs-person,.k-overdue,.sev-critical{color:#fff;background:#b34700;border-color:#b34700}
.k-due-soon,.sev-high,.up-major{color:#8a5a00;background:#fff3d6;border-color:#e69f00}
.k-drift,.k-rule,.flag{color:#7a2f5c;background:#fbe9f3;border-color:#cc79a7}
.k-error,.up-error{color:#1d232a;background:#f0e442;border-color:#1d232a}
.k-end-of-life{color:#fff;background:#3b434c;border-color:#3b434c}
.k-promote,.up-minor{color:#00476e;background:#e3f1fa;border-color:#0072b2}
.sev-unrated{color:#8a5a00;border-style:dashed}.sev-medium,.up-patch{color:#0b5d7a;border-color:#56b4e9}.sev-low{color:#58606b}
.up-digest{color:#7a2f5c;border-style:dashed}.up-up-to-date,.in-sync,.known{color:#00694d;border-color:#009e73}
.up-not-checked,.unknown{color:#58606b;border-style:dashed}.security{color:#fff;background:#b34700}
.row-marks{margin-top:.25rem}.row-marks .mark{font-size:11px}.all-clear{color:#00694d;font-weight:600}
td.absent{background:#f6f7f9}#components{table-layout:fixed}#actions td:nth-child(4){white-space:nowrap}#components thead th:first-child{width:13rem}`;

export function renderDashboard(model: DashboardModel, meta: PageMeta): string {
  const now = Date.parse(meta.generatedAt);
  const headers = model.stacks.map((s) => `<th scope="col">${escape(s)}</th>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>myOCI dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<h1>myOCI dashboard</h1>
<p class="meta">Generated ${escape(minute(meta.generatedAt))} · ${model.rows.length} components, ${model.cells} pins on ${model.stacks.length} stack${model.stacks.length === 1 ? "" : "s"} (${model.stacks.map(escape).join(", ")})</p>
${needsAction(model)}
${sources(meta, model.stacks)}
<section id="table"><h2>Components, most urgent first</h2>
<table id="components">
<thead><tr><th scope="col">Component</th>${headers}</tr></thead>
<tbody>
${model.rows.map((r) => rowHtml(r, model.stacks, now)).join("\n")}
</tbody>
</table>
</section>
</body>
</html>
`;
}
