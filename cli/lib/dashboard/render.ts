/**
 * One static HTML page: a plain table readable without JavaScript; a small inline script makes the column
 * headers sort buttons. No external assets, so the page works from file://, a CI artifact or any static host.
 */
import type { DashboardRow } from "./model";

export interface PageMeta {
  readonly generatedAt: string;
  /** When `myoci check` ran (absent: updates not checked). */
  readonly checkedAt?: string;
  readonly driftStacks: readonly string[];
  readonly vulnsSource: string;
}

const escape = (value: string): string =>
  value.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string);

const SEVERITY_RANK: Record<string, number> = { critical: 5, high: 4, unrated: 3, medium: 2, low: 1 };
const UPDATE_RANK: Record<string, number> = { major: 4, minor: 3, patch: 2, digest: 1, "up-to-date": 0, error: -1, "not checked": -2 };

const day = (iso: string): string => iso.slice(0, 10);
const minute = (iso: string): string => `${iso.slice(0, 16).replace("T", " ")} UTC`;

function cell(html: string, sort: string | number, title = ""): string {
  return `<td data-sort="${escape(String(sort))}"${title ? ` title="${escape(title)}"` : ""}>${html}</td>`;
}

function runningCell(row: DashboardRow): string {
  if (!row.running) return cell('<span class="muted">unknown</span>', "");
  const { tags, status, problems } = row.running;
  const text = tags.length > 0 ? tags.map((t) => `<code>${escape(t)}</code>`).join(" ") : "—";
  const label = status === "in-sync" ? "" : ` <span class="bad">${escape(status)}</span>`;
  return cell(`${text}${label}`, `${status === "in-sync" ? 0 : 1} ${tags.join(" ")}`, problems.join("; "));
}

function updatesCell(row: DashboardRow): string {
  const u = row.updates;
  if (!u) return cell('<span class="muted">not checked</span>', UPDATE_RANK["not checked"]!);
  const offers = (["patch", "minor", "major"] as const).filter((k) => u[k] !== undefined).map((k) => `${k} <code>${escape(u[k] as string)}</code>`);
  let html: string;
  if (u.status === "error" || u.status === "not checked") html = `<span class="bad" title="${escape(u.error ?? "")}">${escape(u.status)}</span>`;
  else if (offers.length > 0) html = offers.join("<br>");
  else if (u.status === "digest") html = '<span class="warn">new digest</span>';
  else html = '<span class="ok">up to date</span>';
  return cell(html, UPDATE_RANK[u.status] ?? -1);
}

function advisoriesCell(row: DashboardRow): string {
  if (row.advisories.length === 0) return cell('<span class="muted">none</span>', 0);
  const items = row.advisories.map((a) => {
    const name = a.url ? `<a href="${escape(a.url)}">${escape(a.id)}</a>` : escape(a.id);
    return `<span class="sev-${escape(a.severity)}">${name} ${escape(a.severity)}${a.state === "open" ? "" : ` (${escape(a.state)})`}</span>`;
  });
  const worst = Math.max(...row.advisories.filter((a) => a.state !== "accepted").map((a) => SEVERITY_RANK[a.severity] ?? 0), 0);
  return cell(items.join("<br>"), worst);
}

function rowHtml(row: DashboardRow, now: number): string {
  const eol = row.endOfLife;
  const overdue = row.nextDeadline !== null && Date.parse(row.nextDeadline) <= now;
  const rollout = row.lastRollout;
  return [
    "<tr>",
    cell(escape(row.stack), row.stack),
    cell(`<strong>${escape(row.component)}</strong><br><span class="muted">${escape(row.title)}</span>`, row.component),
    cell(`<code title="${escape(row.declared.digest)}">${escape(row.declared.tag)}</code>`, row.declared.tag),
    runningCell(row),
    updatesCell(row),
    eol
      ? cell(
          `<span class="${eol.reached ? "bad" : "warn"}">${eol.reached ? "reached" : "ends"} ${escape(eol.date)}</span>${eol.successor ? `<br><span class="muted">successor: ${escape(eol.successor)}</span>` : ""}`,
          eol.date,
        )
      : cell('<span class="muted">—</span>', "9999"),
    advisoriesCell(row),
    row.nextDeadline !== null
      ? cell(`<span class="${overdue ? "bad" : "warn"}">${overdue ? "overdue since " : ""}${escape(minute(row.nextDeadline))}</span>`, row.nextDeadline)
      : cell('<span class="muted">none</span>', "9999"),
    rollout
      ? cell(
          `${escape(rollout.kind)} ${escape(day(rollout.recordedAt))}<br><code>${escape(rollout.tag)}</code>${rollout.current ? "" : ' <span class="warn">(not the pin)</span>'}`,
          rollout.recordedAt,
        )
      : cell('<span class="muted">never</span>', ""),
    "</tr>",
  ].join("");
}

const COLUMNS = ["Stack", "Component", "Declared", "Running", "Updates", "End of life", "Advisories", "Next deadline", "Last rollout"];
const NUMERIC = new Set(["Updates", "Advisories"]);

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d232a}h1{font-size:1.3rem;margin:0 0 .3rem}
p.meta{color:#58606b;margin:.2rem 0 1rem}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d6dae0;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}th button{font:inherit;font-weight:600;border:0;background:none;cursor:pointer;padding:0}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
code{font-size:.92em}.muted{color:#7a828c}.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e;font-weight:600}
.sev-critical,.sev-high{color:#cf222e}.sev-medium,.sev-unrated{color:#9a6700}.sev-low{color:#58606b}`;

const SCRIPT = `(function () {
  var table = document.getElementById("components");
  var headers = table.tHead.rows[0].cells;
  function key(td) { return td.getAttribute("data-sort") !== null ? td.getAttribute("data-sort") : td.textContent.trim(); }
  function sortBy(index) {
    var th = headers[index];
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    for (var i = 0; i < headers.length; i++) headers[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir);
    var numeric = th.getAttribute("data-type") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, undefined, { numeric: true });
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(headers, function (th, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    button.title = "Sort by " + th.textContent;
    button.addEventListener("click", function () { sortBy(index); });
    th.textContent = "";
    th.appendChild(button);
  });
})();`;

export function renderDashboard(rows: readonly DashboardRow[], meta: PageMeta): string {
  const now = Date.parse(meta.generatedAt);
  const stacks = [...new Set(rows.map((r) => r.stack))];
  const sources = [
    meta.checkedAt ? `updates checked ${escape(minute(meta.checkedAt))}` : "updates not checked (pass <code>--check-json</code>)",
    meta.driftStacks.length > 0
      ? `running versions from drift of ${meta.driftStacks.map(escape).join(", ")}`
      : "running versions unknown (pass <code>--drift-json</code>)",
    `advisories from ${escape(meta.vulnsSource)}`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>myOCI versions</title>
<style>${STYLE}</style>
</head>
<body>
<h1>myOCI versions</h1>
<p class="meta">Generated ${escape(minute(meta.generatedAt))} · ${rows.length} components on ${stacks.length} stack${stacks.length === 1 ? "" : "s"} (${stacks.map(escape).join(", ")}) · ${sources.join(" · ")}</p>
<table id="components">
<thead><tr>${COLUMNS.map((c) => `<th scope="col"${NUMERIC.has(c) ? ' data-type="number"' : ""}>${c}</th>`).join("")}</tr></thead>
<tbody>
${rows.map((r) => rowHtml(r, now)).join("\n")}
</tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
