/** A unified diff (as `diff -u` prints it) of two small texts, from a longest-common-subsequence line match. */

type Op = { kind: " " | "-" | "+"; line: string; a: number; b: number };

function splitLines(text: string): string[] {
  if (text === "") {
    return [];
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") {
    lines.pop();
  }
  return lines;
}

function operations(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i]!, a: i++, b: j++ });
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      ops.push({ kind: "+", line: b[j]!, a: i, b: j++ });
    } else {
      ops.push({ kind: "-", line: a[i]!, a: i++, b: j });
    }
  }
  // Within each run of changes, print removals before additions (as diff -u does).
  const ordered: Op[] = [];
  for (let k = 0; k < ops.length;) {
    if (ops[k]!.kind === " ") {
      ordered.push(ops[k++]!);
      continue;
    }
    const run: Op[] = [];
    while (k < ops.length && ops[k]!.kind !== " ") {
      run.push(ops[k++]!);
    }
    ordered.push(...run.filter((op) => op.kind === "-"), ...run.filter((op) => op.kind === "+"));
  }
  return ordered;
}

/** `--- a` / `+++ b` / `@@ -l,n +l,n @@` hunks with `context` lines around each change; "" when equal. */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string, context = 3): string {
  if (before === after) {
    return "";
  }
  const ops = operations(splitLines(before), splitLines(after));
  const changed = ops.map((op, index) => (op.kind === " " ? -1 : index)).filter((index) => index >= 0);
  const hunks: [number, number][] = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length - 1, index + context);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) {
      last[1] = Math.max(last[1], end);
    } else {
      hunks.push([start, end]);
    }
  }
  const out = [`--- ${fromName}`, `+++ ${toName}`];
  for (const [start, end] of hunks) {
    const slice = ops.slice(start, end + 1);
    const aLines = slice.filter((op) => op.kind !== "+").length;
    const bLines = slice.filter((op) => op.kind !== "-").length;
    const first = slice[0]!;
    const aStart = aLines === 0 ? first.a : first.a + 1;
    const bStart = bLines === 0 ? first.b : first.b + 1;
    out.push(`@@ -${aStart},${aLines} +${bStart},${bLines} @@`);
    out.push(...slice.map((op) => `${op.kind}${op.line}`));
  }
  return `${out.join("\n")}\n`;
}
