/**
 * A scripted `pulumi` executable for end-to-end tests (run by ./pulumi with Node's type stripping). It implements
 * the subcommands myoci's engine runs through the Automation API, with the argv the SDK sends and the JSON the CLI
 * prints (read in @pulumi/pulumi/automation/{cmd,localWorkspace,stack}.js@3.270.0; shapes of `stack ls --json`,
 * `whoami --json`, `stack history --json`, `stack output --json` as the CLI documents them):
 *   version · whoami --json · stack ls --json · stack select --stack S · stack init S · up … --stack S ·
 *   stack history --json [--show-secrets] [--page-size N --page P] --stack S · stack output --json [--show-secrets] --stack S · cancel
 * State lives in $FAKE_PULUMI_HOME (backend.json, cues.json); every invocation is appended to invocations.jsonl
 * with its process group, so tests see who ran what, and whether a signal reached it.
 * `up` deploys the stack file's `myoci:images`: optional health containers (podman, see fake-pulumi/index.ts) are
 * replaced when their digest changes, like the Docker provider replacing a container. It takes the backend's stack
 * lock the way the file backend does (a second `up` fails with the CLI's lock error). SIGINT during `up` is
 * Pulumi's graceful cancel: the running step ends, nothing further is applied, the update is recorded failed.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { FakeUpdate } from "./index";

/** An update as `pulumi stack history --json` prints it: the test side's record plus the resource counts. */
interface Update extends FakeUpdate {
  resourceChanges?: Record<string, number>;
}
interface StackState {
  updates: Update[];
  outputs: Record<string, unknown>;
}
interface Backend {
  url: string;
  user: string;
  stacks: Record<string, StackState>;
  /** Health containers per stack and component: name, host port, and the image each digest runs. */
  containers?: Record<string, Record<string, { name: string; port: number }>>;
  healthImages?: Record<string, string>;
  podman?: { argv: string[]; env: Record<string, string> };
  /** Host facts a deployment changes: when `component` of `stack` is deployed at a digest, `file` gets `values[digest]`. */
  deployFiles?: { stack: string; component: string; file: string; values: Record<string, string> }[];
}
/** A scripted behaviour: for the nth (1-based, per stack) run of `command`. */
interface Cue {
  command: string;
  stack?: string;
  nth?: number;
  /** Exit non-zero with this on stderr. */
  fail?: string;
  /** Before doing anything (up: before applying). */
  sleepMs?: number;
  /** Fail as the file backend does when another update holds the lock. */
  lockedBy?: string;
}

const home = process.env.FAKE_PULUMI_HOME ?? "";
if (home === "") {
  process.stderr.write("fake pulumi: FAKE_PULUMI_HOME is not set\n");
  process.exit(2);
}
const file = (name: string): string => path.join(home, name);
const argv = process.argv.slice(2);
const startedAt = new Date().toISOString();
const signals: string[] = [];

function pgrp(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}
const invocation = { argv, cwd: process.cwd(), pid: process.pid, pgid: pgrp("self"), parentPgid: pgrp(process.ppid), startedAt };

appendFileSync(file("started.jsonl"), `${JSON.stringify({ argv, pid: process.pid, startedAt })}\n`);

function record(exit: number): void {
  appendFileSync(file("invocations.jsonl"), `${JSON.stringify({ ...invocation, signals, exit, endedAt: new Date().toISOString() })}\n`);
}
function done(exit: number, stdout = "", stderr = ""): never {
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  record(exit);
  process.exit(exit);
}
function readJson<T>(name: string, fallback: T): T {
  return existsSync(file(name)) ? (JSON.parse(readFileSync(file(name), "utf8")) as T) : fallback;
}
function writeBackend(backend: Backend): void {
  writeFileSync(file("backend.json.tmp"), JSON.stringify(backend, null, 2));
  renameSync(file("backend.json.tmp"), file("backend.json"));
}
function flag(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cue for this run of `command` on `stack`, counting runs in counts.json. */
function cueFor(command: string, stack: string | undefined): Cue | undefined {
  const counts = readJson<Record<string, number>>("counts.json", {});
  const key = `${command}@${stack ?? ""}`;
  const nth = (counts[key] ?? 0) + 1;
  counts[key] = nth;
  writeFileSync(file("counts.json"), JSON.stringify(counts));
  return readJson<Cue[]>("cues.json", []).find(
    (c) => c.command === command && (c.stack === undefined || c.stack === stack) && (c.nth === undefined || c.nth === nth),
  );
}

function podman(backend: Backend, args: string[]): void {
  const p = backend.podman!;
  execFileSync("podman", [...p.argv, ...args], { env: { ...process.env, ...p.env }, stdio: ["ignore", "ignore", "pipe"] });
}

const lockMessage = (stack: string, holder: string): string =>
  `error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.\n` +
  `  ${file(`locks/${stack}.json`)}: created by ${holder}\n`;

async function up(backend: Backend, stack: string): Promise<never> {
  const cue = cueFor("up", stack);
  if (cue?.lockedBy !== undefined) {
    done(255, "", lockMessage(stack, cue.lockedBy));
  }
  const lock = file(`locks/${stack}.json`);
  mkdirSync(path.dirname(lock), { recursive: true });
  try {
    writeFileSync(lock, JSON.stringify({ pid: process.pid }), { flag: "wx" });
  } catch {
    const holder = JSON.parse(readFileSync(lock, "utf8")) as { pid: number };
    done(255, "", lockMessage(stack, `tester@fake-host (pid ${holder.pid}) at ${startedAt}`));
  }
  let canceled = false;
  process.on("SIGINT", () => {
    signals.push("SIGINT");
    if (canceled) {
      rmSync(lock, { force: true });
      done(255, "", "error: update terminated (second interrupt)\n");
    }
    canceled = true;
    process.stdout.write("^C received; cancelling. If you would like to terminate immediately, press ^C again.\n");
  });
  const text = readFileSync(path.join(process.cwd(), `Pulumi.${stack}.yaml`), "utf8");
  const config = (parse(text) as { config?: Record<string, unknown> }).config ?? {};
  const images = (config["myoci:images"] ?? {}) as Record<string, { tag: string; digest: string }>;
  const state = backend.stacks[stack]!;
  const version = (state.updates[0]?.version ?? 0) + 1;
  const entry = (result: string): Update => ({
    version,
    kind: "update",
    startTime: startedAt,
    endTime: new Date().toISOString(),
    message: "",
    environment: { "exec.kind": "auto.local" },
    config: Object.fromEntries(
      Object.entries(config)
        .filter(([, v]) => !(v !== null && typeof v === "object" && "secure" in v))
        .map(([k, v]) => [k, { value: typeof v === "string" ? v : JSON.stringify(v), secret: false }]),
    ),
    result,
  });
  // The slow part of an update, one step at a time: a cancel is noticed between steps.
  const until = Date.now() + (cue?.sleepMs ?? 0);
  while (Date.now() < until && !canceled) {
    await sleep(Math.min(50, until - Date.now()));
  }
  const finish = (result: string): void => {
    const fresh = JSON.parse(readFileSync(file("backend.json"), "utf8")) as Backend;
    fresh.stacks[stack]!.updates.unshift(entry(result));
    if (result === "succeeded") {
      fresh.stacks[stack]!.outputs = {
        images: Object.fromEntries(Object.entries(images).map(([c, p]) => [c, { image: `${c}:${p.tag}@${p.digest}`, tag: p.tag, digest: p.digest }])),
      };
    }
    writeBackend(fresh);
    rmSync(lock, { force: true });
  };
  if (canceled) {
    finish("failed");
    done(255, "", "error: update canceled\n");
  }
  if (cue?.fail !== undefined) {
    finish("failed");
    done(255, "Updating (" + stack + "):\n", cue.fail);
  }
  const previous = pinsOf(state.outputs);
  for (const [component, spec] of Object.entries(backend.containers?.[stack] ?? {})) {
    const digest = images[component]?.digest;
    if (digest === undefined || previous[component] === digest) {
      continue;
    }
    podman(backend, ["rm", "-f", "-t", "0", spec.name]);
    const image = backend.healthImages?.[digest];
    if (image !== undefined) {
      podman(backend, ["run", "-d", "--name", spec.name, "-p", `127.0.0.1:${spec.port}:8080`, image, "/bin/httpd", "-f", "-p", "8080", "-h", "/www"]);
    }
  }
  for (const fact of backend.deployFiles?.filter((f) => f.stack === stack) ?? []) {
    const value = fact.values[images[fact.component]?.digest ?? ""];
    if (value !== undefined) {
      writeFileSync(fact.file, value);
    }
  }
  finish("succeeded");
  done(0, `Updating (${stack}):\nResources:\n    ${Object.keys(images).length} unchanged\n`);
}

function pinsOf(outputs: Record<string, unknown>): Record<string, string> {
  const images = (outputs.images ?? {}) as Record<string, { digest?: string }>;
  return Object.fromEntries(Object.entries(images).map(([c, v]) => [c, v.digest ?? ""]));
}

async function main(): Promise<void> {
  const backend = readJson<Backend>("backend.json", { url: "file://", user: "tester", stacks: {} });
  const words = argv.filter((a) => !a.startsWith("-"));
  const stack = flag("--stack");
  const [first, second] = words;
  if (first === "version") {
    done(0, "v3.270.0\n");
  }
  const cueCommand = first === "stack" ? `stack ${second}` : (first ?? "");
  if (first !== "up") {
    const cue = cueFor(cueCommand, stack);
    if (cue?.sleepMs !== undefined) {
      await sleep(cue.sleepMs);
    }
    if (cue?.fail !== undefined) {
      done(255, "", cue.fail);
    }
  }
  if (first === "whoami") {
    done(0, `${JSON.stringify({ user: backend.user, url: backend.url, organizations: [] })}\n`);
  }
  if (first === "stack" && second === "ls") {
    const list = Object.entries(backend.stacks).map(([name, s]) => ({
      name,
      current: false,
      lastUpdate: s.updates[0]?.endTime,
      updateInProgress: existsSync(file(`locks/${name}.json`)),
      resourceCount: s.updates.length > 0 ? 68 : 0,
      url: `${backend.url}/myoci/${name}`,
    }));
    done(0, `${JSON.stringify(list, null, 4)}\n`);
  }
  if (first === "stack" && second === "select") {
    if (stack === undefined || !backend.stacks[stack]) {
      done(255, "", `error: no stack named '${stack ?? ""}' found\n`);
    }
    done(0);
  }
  if (first === "stack" && second === "init") {
    const name = words[2] ?? stack ?? "";
    backend.stacks[name] = { updates: [], outputs: {} };
    writeBackend(backend);
    done(0, `Created stack '${name}'\n`);
  }
  if (stack === undefined || !backend.stacks[stack]) {
    done(255, "", `error: no stack named '${stack ?? ""}' found\n`);
  }
  if (first === "up") {
    await up(backend, stack);
  }
  if (first === "stack" && second === "history") {
    const size = flag("--page-size");
    const updates = backend.stacks[stack].updates;
    done(0, `${JSON.stringify(size !== undefined ? updates.slice(0, Number(size)) : updates, null, 4)}\n`);
  }
  if (first === "stack" && second === "output") {
    done(0, `${JSON.stringify(backend.stacks[stack].outputs, null, 4)}\n`);
  }
  if (first === "cancel") {
    rmSync(file(`locks/${stack}.json`), { force: true });
    done(0, "The currently running update has been canceled!\n");
  }
  done(255, "", `fake pulumi: unsupported command: ${argv.join(" ")}\n`);
}

void main();
