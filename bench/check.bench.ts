/**
 * `myoci check` beside the current Renovate 44, on the same local registry with the same images: Debian's
 * docker-registry filled here, open and behind token auth (our token server), every request counted by a proxy.
 * Both run as whole processes, interleaved; medians, min/max, the ratio, requests per image, and the physical floor
 * (what a perfect client needs: requests, and `node -e 0`). Renovate comes from scripts/ensure-renovate.sh (npm,
 * cache folder, Node 24); without it the Renovate rows are skipped. Run alone: `node scripts/run-ts.js bench/check.bench.ts`.
 * Not a test: nothing here asserts.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CATALOG, type ComponentId } from "../catalog";
import { checkStack } from "../cli/app/check/run";
import { RegistryClient } from "../cli/adapters/registry/client";
import { startFaultProxy, type RunningFaultProxy } from "../tests/helpers/fault-proxy";
import { pushTags, startRegistry } from "../tests/helpers/registry";
import { fillStack } from "../tests/helpers/registry-stack";
import { stackFileText } from "../tests/helpers/stack-fixture";
import { startTokenServer, type RunningTokenServer } from "../tests/helpers/token-server";
import { median, printResults, type BenchResult } from "./harness";

const ROOT = path.join(__dirname, "..");
const MYOCI_RUNS = Number(process.env.MYOCI_BENCH_RUNS ?? 9);
const RENOVATE_RUNS = Number(process.env.MYOCI_BENCH_RENOVATE_RUNS ?? 3);

interface Timed {
  readonly ms: number;
  readonly code: number;
  readonly rssMiB?: number;
  /** User + system CPU seconds of the process (less sensitive to a busy machine than wall time). */
  readonly cpuMs?: number;
}

/** Runs a process; wall time by hrtime, peak RSS and CPU time from GNU time when it is installed. */
function timed(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Timed> {
  const rssFile = path.join(os.tmpdir(), `myoci-bench-rss-${process.pid}`);
  const useTime = process.platform === "linux" && existsExecutable("/usr/bin/time");
  const [cmd, cmdArgs] = useTime ? ["/usr/bin/time", ["-f", "%M %U %S", "-o", rssFile, file, ...args]] : [file, args];
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(cmd, cmdArgs, { cwd, env, maxBuffer: 256 << 20, timeout: 600_000 }, (error) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      let measured: { rssMiB: number; cpuMs: number } | undefined;
      if (useTime) {
        const match = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(readFileSync(rssFile, "utf8"));
        measured = match ? { rssMiB: Number(match[1]) / 1024, cpuMs: (Number(match[2]) + Number(match[3])) * 1000 } : undefined;
        rmSync(rssFile, { force: true });
      }
      resolve({ ms, code: error ? Number((error as { code?: number }).code ?? -1) : 0, ...(measured ?? {}) });
    });
  });
}

function existsExecutable(file: string): boolean {
  try {
    execFileSync(file, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** One newer patch and one newer minor of a tag, in its own scheme (`v2.10.4` → `v2.10.5`, `v2.11.0`; `16.11-alpine` → `16.12-alpine`, `17.0-alpine`). */
function newerTags(tag: string): string[] {
  const match = /^(v?)(\d+(?:\.\d+)*)(-.+)?$/.exec(tag);
  if (!match) {
    return [];
  }
  const numbers = (match[2] ?? "").split(".").map(Number);
  const bump = (index: number) => numbers.map((n, i) => (i < index ? n : i === index ? n + 1 : 0));
  const format = (parts: number[]) => `${match[1]}${parts.join(".")}${match[3] ?? ""}`;
  return [format(bump(numbers.length - 1)), ...(numbers.length > 1 ? [format(bump(numbers.length - 2))] : [])];
}

/** renovate.json for the bench: one docker regex manager per component of the stack file, lookups against `registryUrl`. */
function renovateConfig(components: readonly ComponentId[]): object {
  return {
    $schema: "https://docs.renovatebot.com/renovate-schema.json",
    enabledManagers: ["custom.regex"],
    customManagers: components.map((component) => ({
      customType: "regex",
      managerFilePatterns: ["/^Pulumi\\.[^.]+\\.yaml$/"],
      matchStrings: [`\\n\\s+${component}:[^\\n]*\\n\\s+tag:\\s*"?(?<currentValue>[^"\\s]+)"?[^\\n]*\\n\\s+digest:\\s*(?<currentDigest>sha256:[0-9a-f]{64})`],
      depNameTemplate: CATALOG[component].repository,
      datasourceTemplate: "docker",
      versioningTemplate: "docker",
    })),
    packageRules: [{ matchDatasources: ["docker"], pinDigests: true }],
  };
}

function ensureRenovate(): string | undefined {
  try {
    const bin = execFileSync("bash", [path.join(ROOT, "scripts", "ensure-renovate.sh")], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    return path.join(bin, "renovate");
  } catch {
    return undefined;
  }
}

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.org", ...args], { cwd, stdio: "ignore" });
}

interface Sample {
  readonly ms: number;
  readonly requests: number;
  readonly tokenRequests: number;
  readonly rssMiB?: number;
  readonly cpuMs?: number;
  readonly code: number;
}

function summary(name: string, samples: readonly Sample[], images: number, extra: Record<string, number | string> = {}): BenchResult {
  const ms = samples.map((s) => s.ms);
  const rss = samples.map((s) => s.rssMiB).filter((v): v is number => v !== undefined);
  const cpu = samples.map((s) => s.cpuMs).filter((v): v is number => v !== undefined);
  const last = samples.at(-1);
  return {
    name,
    medianMs: median(ms),
    runs: samples.length,
    extra: {
      minMs: Math.round(Math.min(...ms)),
      maxMs: Math.round(Math.max(...ms)),
      requestsPerImage: Number((median(samples.map((s) => s.requests)) / images).toFixed(2)),
      tokenRequests: median(samples.map((s) => s.tokenRequests)),
      ...(rss.length > 0 ? { rssMiB: Math.round(median(rss)) } : {}),
      ...(cpu.length > 0 ? { cpuMedianMs: Math.round(median(cpu)), cpuMinMs: Math.round(Math.min(...cpu)) } : {}),
      exit: last?.code ?? -1,
      ...extra,
    },
  };
}

/** One side's figures for the table: wall medians and range, requests, tokens, memory, CPU. */
export interface SideStats {
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly requestsPerImage: number;
  readonly tokenRequests: number;
  readonly rssMiB?: number;
  readonly cpuMedianMs?: number;
}

function stats(samples: readonly Sample[], images: number): SideStats {
  const ms = samples.map((s) => s.ms);
  const rss = samples.map((s) => s.rssMiB).filter((v): v is number => v !== undefined);
  const cpu = samples.map((s) => s.cpuMs).filter((v): v is number => v !== undefined);
  return {
    runs: samples.length,
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    requestsPerImage: median(samples.map((s) => s.requests)) / images,
    tokenRequests: median(samples.map((s) => s.tokenRequests)),
    ...(rss.length > 0 ? { rssMiB: median(rss) } : {}),
    ...(cpu.length > 0 ? { cpuMedianMs: median(cpu) } : {}),
  };
}

export interface SideBySide {
  readonly images: number;
  readonly repositories: number;
  readonly modes: readonly { readonly mode: "open" | "token"; readonly myoci: SideStats; readonly renovate?: SideStats }[];
  readonly nodeStart: SideStats;
  readonly floorClient: SideStats;
  readonly help: SideStats;
  readonly inProcessMs: number;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 1000 ? 3 : 2)} s`;
const range = (s: SideStats): string => `${seconds(s.medianMs)} (${seconds(s.minMs).slice(0, -2)}–${seconds(s.maxMs)})`;

/** The table `npm run bench` prints: myoci and Renovate 44 in columns, one block per registry mode, then the floor. */
export function sideBySide(t: SideBySide): string[] {
  const cell = (text: string, width: number) => text.padEnd(width);
  const row = (label: string, myoci: string, renovate: string, ratio = "") => `${cell(label, 22)}${cell(myoci, 30)}${cell(renovate, 30)}${ratio}`.trimEnd();
  const mib = (s?: SideStats) => (s?.rssMiB !== undefined ? `${Math.round(s.rssMiB)} MiB` : "—");
  const cpu = (s?: SideStats) => (s?.cpuMedianMs !== undefined ? `${seconds(s.cpuMedianMs)}` : "—");
  const lines = [
    `${t.images} images (${t.repositories} repositories), whole processes, wall time: median (min–max); ratio = Renovate / myoci`,
    row("", "myoci check", "Renovate 44", "ratio"),
  ];
  for (const { mode, myoci, renovate } of t.modes) {
    const ratio = renovate ? `${(renovate.medianMs / myoci.medianMs).toFixed(1)}×` : "";
    lines.push(
      row(mode === "open" ? "open registry" : "token auth", range(myoci), renovate ? range(renovate) : "not installed", ratio),
      row("  runs", String(myoci.runs), renovate ? String(renovate.runs) : "—"),
      row("  requests per image", myoci.requestsPerImage.toFixed(2), renovate ? renovate.requestsPerImage.toFixed(2) : "—"),
      row("  token requests", String(myoci.tokenRequests), renovate ? String(renovate.tokenRequests) : "—"),
      row(
        "  CPU (user+sys)",
        cpu(myoci),
        cpu(renovate),
        renovate?.cpuMedianMs !== undefined && myoci.cpuMedianMs ? `${(renovate.cpuMedianMs / myoci.cpuMedianMs).toFixed(1)}×` : "",
      ),
      row("  peak RSS", mib(myoci), mib(renovate)),
    );
  }
  const perfectToken = 2 + 1 / t.images;
  lines.push(
    `floor: node -e 0 ${range(t.nodeStart)}; a minimal client (HEAD + tag list per image, nothing else) ${range(t.floorClient)}, ` +
      `${t.floorClient.requestsPerImage.toFixed(2)} requests per image`,
    `floor: requests a perfect client needs: 2.00 per image open, ${perfectToken.toFixed(2)} with token auth (1 challenge), ${t.repositories} tokens (1 per repository)`,
    `myoci --help ${range(t.help)}: over node -e 0 by ${seconds(t.help.medianMs - t.nodeStart.medianMs)} (medians), ` +
      `${seconds(t.help.minMs - t.nodeStart.minMs)} (minima); registry work in process ${seconds(t.inProcessMs)}`,
  );
  return lines;
}

/** The CLI as an operator runs it: compiled (`npm run build`), not through ts-node. */
function ensureBuilt(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compiledEntry } = require("../scripts/compiled") as { compiledEntry: (file: string) => string | null };
  if (compiledEntry(path.join(ROOT, "cli", "main.ts")) === null) {
    process.stdout.write("  (bin/ is stale or missing: npm run build first)\n");
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build.js")], { cwd: ROOT, stdio: "inherit" });
  }
}

export async function benchCheck(): Promise<BenchResult[]> {
  ensureBuilt();
  const open = await startRegistry();
  const tokens: RunningTokenServer = await startTokenServer();
  const secured = await startRegistry({
    rootDir: open.rootDir,
    tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile },
  });
  const proxies: Record<"open" | "token", RunningFaultProxy> = { open: await startFaultProxy(open.url), token: await startFaultProxy(secured.url) };
  const work = mkdtempSync(path.join(os.tmpdir(), "myoci-bench-check-"));
  try {
    // The fixture stack (never the live pins): each pinned tag plus a newer patch and minor in the registry.
    const source = path.join(work, "source");
    const repo = path.join(work, "repo");
    mkdirSync(source);
    mkdirSync(repo);
    writeFileSync(path.join(source, "Pulumi.bench.yaml"), stackFileText());
    const stack = await fillStack(open.url, path.join(source, "Pulumi.bench.yaml"), repo);
    const components = Object.keys(stack.images) as ComponentId[];
    for (const component of components) {
      await pushTags(open.url, CATALOG[component].repository, newerTags(stack.images[component]?.tag ?? ""));
    }
    const images = components.length;
    const repositories = new Set(components.map((c) => CATALOG[c].repository)).size;
    const env = { ...process.env, DOCKER_CONFIG: path.join(work, "no-docker-config") };

    // Renovate's repository: the same stack file, a renovate.json for it, git (platform=local reads the work tree).
    const renovate = ensureRenovate();
    writeFileSync(path.join(repo, "renovate.json"), `${JSON.stringify(renovateConfig(components), null, 2)}\n`);
    git(repo, "init", "-q");
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "bench fixture");

    const runMyoci = async (mode: "open" | "token"): Promise<Sample> => {
      const proxy = proxies[mode];
      proxy.reset();
      tokens.requests.length = 0;
      const mirrors = ["--registry-mirror", `docker.io=${proxy.url}`, "--registry-mirror", `ghcr.io=${proxy.url}`];
      const run = await timed(process.execPath, [path.join(ROOT, "cli", "myoci.js"), "check", "--stack", "bench", "--json", ...mirrors], repo, env);
      return { ...run, requests: proxy.requests.length, tokenRequests: tokens.requests.length };
    };
    const runRenovate = async (mode: "open" | "token", bin: string): Promise<Sample> => {
      const proxy = proxies[mode];
      proxy.reset();
      tokens.requests.length = 0;
      const base = mkdtempSync(path.join(work, "renovate-base-"));
      const globalConfig = path.join(base, "global.json");
      writeFileSync(globalConfig, JSON.stringify({ packageRules: [{ matchDatasources: ["docker"], registryUrls: [proxy.url] }] }));
      const run = await timed(
        bin,
        ["--platform=local", "--dry-run=lookup", "--onboarding=false", "--require-config=optional", "--repository-cache=disabled"],
        repo,
        { ...env, RENOVATE_CONFIG_FILE: globalConfig, RENOVATE_BASE_DIR: base, LOG_LEVEL: "warn", RENOVATE_X_IGNORE_RE2: "true" },
      );
      rmSync(base, { recursive: true, force: true });
      return { ...run, requests: proxy.requests.length, tokenRequests: tokens.requests.length };
    };

    // Warm the registry's and the OS's caches (and Node's compile cache) once per side.
    await runMyoci("open");
    if (renovate) {
      await runRenovate("open", renovate);
    }
    const samples: Record<string, Sample[]> = { "myoci open": [], "myoci token": [], "renovate open": [], "renovate token": [] };
    for (let i = 0; i < Math.max(MYOCI_RUNS, renovate ? RENOVATE_RUNS : 0); i++) {
      for (const mode of ["open", "token"] as const) {
        if (i < MYOCI_RUNS) {
          samples[`myoci ${mode}`]?.push(await runMyoci(mode));
        }
        if (renovate && i < RENOVATE_RUNS) {
          samples[`renovate ${mode}`]?.push(await runRenovate(mode, renovate));
        }
      }
    }

    // The registry work alone, in process (no start-up), and the floors.
    const inProcess: number[] = [];
    for (let i = 0; i < MYOCI_RUNS; i++) {
      const client = new RegistryClient({
        mirrors: { "docker.io": proxies.open.url, "ghcr.io": proxies.open.url },
        env: {},
        dockerConfigPath: path.join(work, "none"),
      });
      const started = process.hrtime.bigint();
      await checkStack({ stack: "bench", file: stack.file, images: stack.images, registry: client });
      inProcess.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const nodeStart: Timed[] = [];
    const help: Timed[] = [];
    const floorClient: Sample[] = [];
    const pinned = components.map((c) => `${CATALOG[c].repository}:${stack.images[c]?.tag ?? ""}`);
    for (let i = 0; i < MYOCI_RUNS; i++) {
      nodeStart.push(await timed(process.execPath, ["-e", "0"], repo, env));
      help.push(await timed(process.execPath, [path.join(ROOT, "cli", "myoci.js"), "--help"], repo, env));
      proxies.open.reset();
      const run = await timed(process.execPath, [path.join(__dirname, "floor-client.js"), proxies.open.url, ...pinned], repo, env);
      floorClient.push({ ...run, requests: proxies.open.requests.length, tokenRequests: 0 });
    }
    const wall = (runs: readonly Timed[]) => median(runs.map((r) => r.ms));
    const cpuOf = (runs: readonly Timed[]): Record<string, number> => {
      const cpu = runs.map((r) => r.cpuMs).filter((v): v is number => v !== undefined);
      return cpu.length > 0 ? { cpuMedianMs: Math.round(median(cpu)) } : {};
    };

    const results: BenchResult[] = [];
    const ratio = (renovateKey: string, myociKey: string): Record<string, string> => {
      const r = samples[renovateKey] ?? [];
      const m = samples[myociKey] ?? [];
      return r.length > 0 && m.length > 0 ? { ratio: `${(median(r.map((s) => s.ms)) / median(m.map((s) => s.ms))).toFixed(1)}x` } : {};
    };
    results.push(summary(`myoci check, ${images} images, open registry (whole process)`, samples["myoci open"] ?? [], images));
    if (renovate) {
      results.push(
        summary(`Renovate 44 lookup, same ${images} images, open registry`, samples["renovate open"] ?? [], images, ratio("renovate open", "myoci open")),
      );
    }
    results.push(summary(`myoci check, ${images} images, token auth (whole process)`, samples["myoci token"] ?? [], images));
    if (renovate) {
      results.push(
        summary(`Renovate 44 lookup, same ${images} images, token auth`, samples["renovate token"] ?? [], images, ratio("renovate token", "myoci token")),
      );
    } else {
      results.push({ name: "Renovate 44: not installed (scripts/ensure-renovate.sh failed), skipped", medianMs: 0, runs: 0 });
    }
    results.push({ name: "myoci check, registry work only (in process, open registry)", medianMs: median(inProcess), runs: inProcess.length });
    results.push({
      name: "floor: node -e 0 (start-up of any Node program)",
      medianMs: wall(nodeStart),
      runs: nodeStart.length,
      extra: { minMs: Math.round(Math.min(...nodeStart.map((r) => r.ms))), ...cpuOf(nodeStart) },
    });
    results.push({
      name: "myoci --help (start-up of the CLI)",
      medianMs: wall(help),
      runs: help.length,
      extra: {
        minMs: Math.round(Math.min(...help.map((r) => r.ms))),
        overNodeMs: Math.round(wall(help) - wall(nodeStart)),
        overNodeMinMs: Math.round(Math.min(...help.map((r) => r.ms)) - Math.min(...nodeStart.map((r) => r.ms))),
        ...cpuOf(help),
      },
    });
    results.push(summary(`floor: a minimal client (bench/floor-client.js), same ${images} images, open registry (whole process)`, floorClient, images));
    results.push({
      name: "floor: requests a perfect client needs",
      medianMs: 0,
      runs: 0,
      extra: {
        openPerImage: 2,
        tokenPerImage: Number((2 + 1 / images).toFixed(2)),
        tokenRequests: repositories,
        note: "1 HEAD + 1 tag list per image; token auth adds 1 challenge per registry and 1 token per repository",
      },
    });
    results.push({
      name: "side by side",
      medianMs: 0,
      runs: 0,
      lines: sideBySide({
        images,
        repositories,
        modes: (["open", "token"] as const).map((mode) => ({
          mode,
          myoci: stats(samples[`myoci ${mode}`] ?? [], images),
          renovate: renovate ? stats(samples[`renovate ${mode}`] ?? [], images) : undefined,
        })),
        nodeStart: stats(
          nodeStart.map((r) => ({ ...r, requests: 0, tokenRequests: 0 })),
          images,
        ),
        floorClient: stats(floorClient, images),
        help: stats(
          help.map((r) => ({ ...r, requests: 0, tokenRequests: 0 })),
          images,
        ),
        inProcessMs: median(inProcess),
      }),
    });
    return results;
  } finally {
    await proxies.open.stop();
    await proxies.token.stop();
    await secured.stop();
    await open.stop();
    await tokens.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// Run alone (directly, or through scripts/run-ts.js which sets argv[1] to this file).
if (require.main === module || path.resolve(process.argv[1] ?? "") === __filename) {
  benchCheck().then(
    (results) => printResults("myoci check against the local registry", results),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
