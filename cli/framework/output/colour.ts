/**
 * Colour for text output: only when the stream is a terminal, never with NO_COLOR (https://no-color.org: any
 * non-empty value), `--no-color` or TERM=dumb. Every mark also carries a word or a shape, so colour is never the only signal.
 */
export interface Stream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface Palette {
  readonly enabled: boolean;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  blue(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function colourWanted(stream: Stream, env: Readonly<Record<string, string | undefined>>, noColorFlag = false): boolean {
  if (noColorFlag || (env["NO_COLOR"] ?? "") !== "" || env["TERM"] === "dumb") {
    return false;
  }
  return stream.isTTY === true;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function palette(enabled: boolean): Palette {
  return enabled
    ? { enabled, red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), blue: sgr(34, 39), bold: sgr(1, 22), dim: sgr(2, 22) }
    : { enabled, red: plain, yellow: plain, green: plain, blue: plain, bold: plain, dim: plain };
}

/** Words of the commands' text reports and their colour (blue/orange-yellow/red: distinguishable in the common colour-blindnesses). */
const WORDS: readonly [RegExp, keyof Omit<Palette, "enabled">][] = [
  [/\b(ERROR|FAILED|overdue|critical|major|missing|rollback-failed|rolled-back|inconclusive|interrupted)\b/g, "red"],
  [/\b(minor|high|digest|drift|unhealthy|open|refused)\b/g, "yellow"],
  [/\b(up to date|in sync|rolled-out|ok|written)\b/g, "green"],
  [/\b(patch|medium|low)\b/g, "blue"],
];

/** Colours the status words of a finished text report (a no-op when colour is off). */
export function highlight(text: string, colours: Palette): string {
  if (!colours.enabled) return text;
  let out = text;
  for (const [pattern, colour] of WORDS) {
    out = out.replace(pattern, (word) => colours[colour](word));
  }
  return out;
}
