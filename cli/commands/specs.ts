/**
 * Every command's spec: options, examples and exit codes. Pure data, loaded by `cli/main.ts` for help,
 * did-you-mean and completion without loading any command's module.
 */
import { LABEL } from "../../catalog/names";
import type { CommandSpec } from "../framework/command";

const projectDir = { type: "string", arg: "<dir>", help: "where the stack files are (default: the current directory)", complete: "dirs" } as const;
/** plan and policy run this repository's program: by default on its own stack files and records. */
const programProjectDir = {
  type: "string",
  arg: "<dir>",
  help: "the stack files and records to run the program on (default: the program's own project)",
  complete: "dirs",
} as const;
const mirror = {
  type: "string",
  multiple: true,
  arg: "<host=url>",
  help: "send registry <host>'s requests to <url> (wins over myoci:registryMirrors)",
} as const;

export const CHECK = {
  name: "check",
  summary: "compare pinned tags and digests with what the registries offer now",
  synopsis: "[--stack <name>] [--json] [--notify] [--registry-mirror <host=url> ...] [--include-prerelease] [--timeout <seconds>]",
  description: [
    "For every pinned component: up to date, digest (the tag was re-pointed), patch, minor or major, with the newest candidate per class, its changelog and the compatibility rules it would break. Progress per image goes to stderr on a terminal (or with --progress).",
  ],
  options: {
    stack: { type: "string", arg: "<name>", help: "check Pulumi.<name>.yaml only (default: every Pulumi.<stack>.yaml here)", complete: "stacks" },
    notify: { type: "boolean", default: false, help: "post new updates to ntfy (myoci:notify, password in MYOCI_NTFY_PASSWORD)" },
    "registry-mirror": mirror,
    "include-prerelease": { type: "boolean", default: false, help: "also offer pre-release tags (rc, alpha, beta, …)" },
    timeout: { type: "string", arg: "<seconds>", help: "bound the whole run: what is not answered by then is reported as an error" },
  },
  json: true,
  progress: true,
  examples: [
    { command: "npx myoci check", says: "every stack here, as a table per stack" },
    { command: "npx myoci check --stack prod --json > check.json", says: "one stack, as the JSON envelope (input of `npx myoci dashboard --check-json`)" },
    { command: "npx myoci check --registry-mirror docker.io=https://mirror.example.org", says: "through a pull-through cache" },
  ],
  exitCodes: [
    [0, "everything up to date"],
    [1, "updates available (digest-only changes included)"],
    [2, "an error (the rest is still reported)"],
  ],
} as const satisfies CommandSpec;

export const DRIFT = {
  name: "drift",
  summary: "compare pins with the containers running on the stack's Docker host",
  synopsis: "--stack <name> [--json] [--docker-host <url>]",
  description: [
    `Reads the containers labelled ${LABEL.stack}=<stack> through the Docker Engine API (default: the stack's myoci:dockerHost; ssh:// runs \`ssh … docker system dial-stdio\`) and compares each component with its pin: missing, other digest, other tag, unhealthy, in sync.`,
  ],
  options: {
    stack: { type: "string", arg: "<name>", help: "the stack to compare (required)", complete: "stacks" },
    "docker-host": { type: "string", arg: "<url>", help: "unix:///path, ssh://user@host[:port] or tcp://host:port instead of myoci:dockerHost" },
    "project-dir": projectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci drift --stack prod", says: "prod's pins against its host's containers" },
    { command: "npx myoci drift --stack staging --json > drift-staging.json", says: "as JSON, for `npx myoci dashboard --drift-json`" },
  ],
  exitCodes: [
    [0, "in sync"],
    [1, "drift"],
    [2, "an error (e.g. the host cannot be reached: ssh's own message is shown)"],
  ],
} as const satisfies CommandSpec;

export const PIN = {
  name: "pin",
  summary: "pin a component to a tag (digest resolved from its registry)",
  synopsis: "<component> <tag> --stack <name> [--digest sha256:…] [--dry-run] [--allow-downgrade] [--registry-mirror <host=url> ...]",
  description: [
    "Resolves the tag's digest from the component's registry (unless --digest is given), checks the new pin set against the catalog's compatibility and transition rules, and writes Pulumi.<stack>.yaml atomically (comments, key order and secure: values untouched). Prints the diff.",
  ],
  positionals: { name: "<component> <tag>", help: "a catalog component id (e.g. grafana) and the tag to pin", complete: "components" },
  options: {
    stack: { type: "string", arg: "<name>", help: "the stack file to change (required)", complete: "stacks" },
    digest: { type: "string", arg: "<sha256:…>", help: "use this digest instead of asking the registry" },
    "dry-run": { type: "boolean", default: false, help: "print the diff, write nothing" },
    "allow-downgrade": { type: "boolean", default: false, help: "allow a lower version than the current pin" },
    "registry-mirror": mirror,
    "project-dir": projectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci pin ntfy v2.28.0 --stack staging", says: "resolve the digest, check the rules, write Pulumi.staging.yaml" },
    { command: "npx myoci pin grafana 13.1.0 --stack staging --dry-run", says: "only show the diff" },
  ],
  exitCodes: [
    [0, "pinned (or already pinned, or dry run)"],
    [1, "refused by a rule or a downgrade"],
    [2, "bad input or an error"],
  ],
} as const satisfies CommandSpec;

export const PROMOTE = {
  name: "promote",
  summary: "copy pins that staging has verified to prod",
  synopsis: "--from <stack> --to <stack> [<component> ...] [--dry-run] [--switch-log-shipper]",
  description: [
    "Copies to the target the pins the source stack currently pins AND has verified (promotions.yaml, kind: verified). Without components: every component whose pin differs. Refuses unverified digests and incompatible results.",
  ],
  positionals: { name: "<component> ...", help: "only these components (default: every one whose pin differs)", complete: "components" },
  options: {
    from: { type: "string", arg: "<stack>", help: "the stack that verified the pins (e.g. staging)", complete: "stacks" },
    to: { type: "string", arg: "<stack>", help: "the stack to write (e.g. prod)", complete: "stacks" },
    "dry-run": { type: "boolean", default: false, help: "print the diff, write nothing" },
    "switch-log-shipper": {
      type: "boolean",
      default: false,
      help: "also switch the target's myoci:logShipper to the source's (promtail → alloy), replacing the old shipper's pin",
    },
    "project-dir": projectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci promote --from staging --to prod", says: "every verified pin that differs" },
    { command: "npx myoci promote --from staging --to prod grafana --dry-run", says: "only Grafana, without writing" },
  ],
  exitCodes: [
    [0, "promoted (or nothing to do, or dry run)"],
    [1, "refused"],
    [2, "bad input or an error"],
  ],
} as const satisfies CommandSpec;

export const DOCS = {
  name: "docs",
  summary: "generate DEPENDENCIES.md, COMPATIBILITY_MATRIX.md and renovate.json (--check: fail when stale)",
  synopsis: "[--check]",
  description: ["Generates DEPENDENCIES.md, COMPATIBILITY_MATRIX.md and renovate.json at the project root from the catalog, the stack files and package.json."],
  options: {
    check: { type: "boolean", default: false, help: "write nothing; exit 1 (naming the files) when the committed files differ from what would be generated" },
    "project-dir": projectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci docs", says: "write the files that changed" },
    { command: "npx myoci docs --check", says: "in CI: fail when a committed file is stale" },
  ],
  exitCodes: [
    [0, "written, or up to date"],
    [1, "stale (--check)"],
    [2, "an error"],
  ],
} as const satisfies CommandSpec;

const pulumiNote = "Needs the Pulumi CLI (3.x) on PATH: checked before anything is done.";

export const ROLLOUT = {
  name: "rollout",
  summary: "staged rollout with health-gated automatic rollback",
  synopsis:
    "<component>=<tag> [<component>=<tag> ...] [--stacks staging,prod] [--json] [--notify] [--migrate] [--probe-successes <n>] [--probe-deadline <s>] [--probe-port [stack:]component=port ...] [--up-timeout <s>] [--registry-mirror <host=url> ...]",
  description: [
    "For each stack in order: record the pins, back up stateful services, pin the new tags (digests resolved once, rules checked before anything changes), pulumi up with the policy pack, verify the changed services' health endpoints; on failure restore the recorded pins, up and verify again, and stop.",
    "Ctrl-C once: the running step (an up) finishes, then the run stops; twice: the running up is canceled through Pulumi's cancel. Re-running the same command finishes an interrupted stack (it verifies what is deployed but not yet verified).",
    pulumiNote,
  ],
  positionals: { name: "<component>=<tag> ...", help: "the changes, e.g. grafana=13.1.0", complete: "component=tag" },
  options: {
    stacks: { type: "string", default: "staging,prod", arg: "<a,b>", help: "the stacks, in order", complete: "stack-list" },
    notify: { type: "boolean", default: false, help: "post each stack's result to ntfy (myoci:notify; password in MYOCI_NTFY_PASSWORD)" },
    migrate: { type: "boolean", default: false, help: "allow a PostgreSQL major change: dump → new data volume (-pg<new>) → restore; the old volume is kept" },
    "probe-successes": { type: "string", arg: "<n>", help: "consecutive healthy answers a service needs (1–100)" },
    "probe-deadline": { type: "string", arg: "<seconds>", help: "how long a service may take to become healthy (1–3600)" },
    "probe-port": {
      type: "string",
      multiple: true,
      arg: "<[stack:]component=port>",
      help: "probe a component on another loopback port (e.g. an SSH tunnel) than the one it publishes",
    },
    "up-timeout": { type: "string", arg: "<seconds>", help: "cancel an up (through Pulumi's cancel) that runs longer; a timed-out up is rolled back" },
    "registry-mirror": mirror,
    "project-dir": projectDir,
  },
  json: true,
  progress: true,
  examples: [
    { command: "npx myoci rollout grafana=13.1.0", says: "staging, then prod, rolling back a stack whose services do not turn healthy" },
    { command: "npx myoci rollout postgres=17.6-alpine --stacks staging --migrate", says: "a PostgreSQL major change with dump and restore, staging only" },
  ],
  exitCodes: [
    [0, "rolled out"],
    [1, "a stack failed and was rolled back"],
    [
      2,
      "needs a person (rollback failed, verification inconclusive, interrupted or canceled, locked, deployed but bookkeeping failed, refused before anything changed, or no Pulumi CLI)",
    ],
  ],
} as const satisfies CommandSpec;

export const ROLLBACK = {
  name: "rollback",
  summary: "restore the pins of an earlier successful deployment",
  synopsis: "--stack <name> [--to <n>] [--json] [--up-timeout <s>] [--probe-port [stack:]component=port ...]",
  description: [
    "Restores the pins of the n-th earlier successful deployment (default 1: the last one whose pins differ from the current ones, from the stack's update history), runs pulumi up with the policy pack and verifies the changed services.",
    pulumiNote,
  ],
  options: {
    stack: { type: "string", arg: "<name>", help: "the stack to roll back (required)", complete: "stacks" },
    to: { type: "string", default: "1", arg: "<n>", help: "which earlier deployment (1–100)" },
    "up-timeout": { type: "string", arg: "<seconds>", help: "cancel an up (through Pulumi's cancel) that runs longer" },
    "probe-port": { type: "string", multiple: true, arg: "<[stack:]component=port>", help: "probe a component on another loopback port (e.g. an SSH tunnel)" },
    "project-dir": projectDir,
  },
  json: true,
  progress: true,
  examples: [
    { command: "npx myoci rollback --stack prod", says: "back to the last good deployment whose pins differ" },
    { command: "npx myoci rollback --stack prod --to 2 --json", says: "the one before, with the report as JSON" },
  ],
  exitCodes: [
    [0, "rolled back and verified"],
    [2, "refused, interrupted, failed, or no Pulumi CLI (the report says what to do next)"],
  ],
} as const satisfies CommandSpec;

export const VULNS = {
  name: "vulns",
  summary: "advisories affecting the pinned versions, with deadlines",
  synopsis: "[--stack <name>] [--osv-url <url>] [--offline | --refresh] [--trivy <report.json> ...] [--json] [--notify] [--accept-file <file>]",
  description: [
    "Catalog advisories, the OSV database (each pin's upstream package, catalog/packages.ts: one querybatch per run) and Trivy findings (joined by repo digest) for the pinned versions; deadlines count from the first sighting: critical 24 h, high 7 d, medium 30 d.",
    'OSV unreachable or failing (after retries) is an error, never "no vulnerabilities". --refresh writes the OSV findings to the snapshot in vulns-state.json that the policy pack reads offline.',
  ],
  options: {
    stack: { type: "string", arg: "<name>", help: "only Pulumi.<name>.yaml (default: every Pulumi.<stack>.yaml here)", complete: "stacks" },
    trivy: { type: "string", multiple: true, arg: "<file>", help: "a Trivy JSON report (trivy image --format json) of a pinned image", complete: "files" },
    "osv-url": { type: "string", arg: "<url>", help: "the OSV API (default https://api.osv.dev; a mirror or a test stand-in)" },
    "osv-timeout": { type: "string", arg: "<seconds>", help: "per-request timeout for OSV (default 15; 429/5xx/timeouts are retried 3 times)" },
    offline: { type: "boolean", default: false, help: "do not ask OSV: use the snapshot in vulns-state.json" },
    refresh: { type: "boolean", default: false, help: "write the OSV findings (with the records' modified times) to the snapshot in vulns-state.json" },
    notify: { type: "boolean", default: false, help: "post new or changed findings to the stack's ntfy topic (myoci:notify + MYOCI_NTFY_PASSWORD)" },
    "accept-file": { type: "string", arg: "<file>", help: "risk acceptances (default: risk-acceptances.yaml)", complete: "files" },
    "state-file": { type: "string", arg: "<file>", help: "first sightings (default: vulns-state.json)", complete: "files" },
    "notify-state": { type: "string", arg: "<file>", help: "what was already sent (default: .myoci/notified.json)", complete: "files" },
    "project-dir": projectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci vulns", says: "catalog and OSV advisories for every stack's pins" },
    { command: "npx myoci vulns --refresh && git add vulns-state.json", says: "refresh the snapshot the policy pack reads" },
    { command: "npx myoci vulns --offline", says: "without network: the committed snapshot" },
    {
      command: "npx myoci vulns --stack prod --trivy grafana.json --json > vulns.json",
      says: "with a Trivy scan, as JSON (input of `npx myoci dashboard --vulns-json`)",
    },
  ],
  exitCodes: [
    [0, "nothing due"],
    [1, "findings open"],
    [2, "a deadline is past, or an error"],
  ],
} as const satisfies CommandSpec;

export const DASHBOARD = {
  name: "dashboard",
  summary: "write the operator's dashboard: what needs action, then every component, staging beside prod",
  synopsis: "[--out <dir>] [--stack <name> ...] [--check-json <file>] [--drift-json <file> ...] [--vulns-json <file>] [--rollout-json <file> ...]",
  description: [
    "One static page (site/index.html, no external assets, readable without JavaScript). Offline it computes what it can: catalog rules the pins break, advisories and their deadlines, end of life, updates verified on staging and not yet in prod (promotions.yaml). The reports of the other commands add updates, running versions, Trivy findings and rollouts that need a person; what no input covers is shown as unknown.",
  ],
  options: {
    out: { type: "string", default: "site", arg: "<dir>", help: "where index.html is written", complete: "dirs" },
    stack: { type: "string", multiple: true, arg: "<name>", help: "only these stacks (default: every Pulumi.<stack>.yaml here)", complete: "stacks" },
    "check-json": { type: "string", arg: "<file>", help: "output of `npx myoci check --json` (updates by class)", complete: "files" },
    "drift-json": { type: "string", multiple: true, arg: "<file>", help: "output of `npx myoci drift --stack s --json` (running versions)", complete: "files" },
    "vulns-json": { type: "string", arg: "<file>", help: "output of `npx myoci vulns --json` (with Trivy findings)", complete: "files" },
    "rollout-json": { type: "string", multiple: true, arg: "<file>", help: "output of `npx myoci rollout --json` / `rollback --json`", complete: "files" },
    "project-dir": projectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci dashboard", says: "offline: rules, advisories, end of life, ready to promote" },
    {
      command: "npx myoci dashboard --check-json check.json --drift-json drift-prod.json --vulns-json vulns.json",
      says: "with updates, running versions and Trivy findings",
    },
  ],
  exitCodes: [
    [0, "written"],
    [2, "bad input (nothing written)"],
  ],
} as const satisfies CommandSpec;

const stackConfig = {
  type: "string",
  multiple: true,
  arg: "<key.path=value>",
  help: "override a stack setting for this run (e.g. images.loki.tag=3.1.0)",
} as const;

export const PLAN = {
  name: "plan",
  summary: "what a stack's program would create: containers, networks, dependencies, files (no Pulumi CLI)",
  synopsis: "--stack <name> [--json] [--resources <file.json>] [--config <key.path=value> ...] [--project-dir <dir>]",
  description: [
    "Runs the Pulumi program with Pulumi's mocks (no engine, no Docker host) and prints per container its image, networks, published ports, dependencies and uploaded files (content hashes; secret files only by path).",
  ],
  options: {
    stack: { type: "string", arg: "<name>", help: "the stack to plan (required)", complete: "stacks" },
    resources: { type: "string", arg: "<file.json>", help: "plan recorded resources instead of running the program", complete: "files" },
    config: stackConfig,
    "project-dir": programProjectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci plan --stack staging", says: "staging's containers as a table" },
    { command: "npx myoci plan --stack prod --json > plan.json", says: "as the JSON envelope" },
  ],
  exitCodes: [
    [0, "planned"],
    [2, "bad input (stack file, --config, resources file) or a program error"],
  ],
} as const satisfies CommandSpec;

export const POLICY = {
  name: "policy",
  summary: "enforce the CrossGuard policy pack on a stack's program offline (no Pulumi CLI)",
  synopsis: "--stack <name> [--json] [--preview] [--resources <file.json>] [--config <key.path=value> ...] [--policy-config <file.json>] [--project-dir <dir>]",
  description: [
    "Runs the program with Pulumi's mocks and sends every resource to the policy pack over the same gRPC analyzer protocol `pulumi up --policy-pack policy` uses; prints each violation with its policy, resource and enforcement level.",
  ],
  options: {
    stack: { type: "string", arg: "<name>", help: "the stack to check (required)", complete: "stacks" },
    preview: { type: "boolean", default: false, help: "evaluate as `pulumi preview` does: computed outputs unknown" },
    resources: { type: "string", arg: "<file.json>", help: "check recorded resources instead of running the program", complete: "files" },
    config: stackConfig,
    "policy-config": { type: "string", arg: "<file.json>", help: "the pack's configuration (default: policy/config/<stack>.json)", complete: "files" },
    "project-dir": programProjectDir,
  },
  json: true,
  examples: [
    { command: "npx myoci policy --stack prod", says: "what `pulumi up --policy-pack policy` would refuse, without the CLI" },
    { command: "npx myoci policy --stack staging --preview --json", says: "as in a preview, as the JSON envelope" },
  ],
  exitCodes: [
    [0, "no mandatory violation"],
    [1, "mandatory violations"],
    [2, "bad input (stack file, --config, policy config) or a program error"],
  ],
} as const satisfies CommandSpec;

export const HELP = {
  name: "help",
  summary: "show the commands, or one command's options and examples",
  synopsis: "[<command>]",
  positionals: { name: "<command>", help: "the command to explain", complete: "commands" },
  options: {},
  examples: [
    { command: "npx myoci help", says: "every command" },
    { command: "npx myoci help check", says: "check's options, examples and exit codes (same as `npx myoci check --help`)" },
  ],
  exitCodes: [
    [0, "shown"],
    [2, "unknown command"],
  ],
} as const satisfies CommandSpec;

export const COMPLETION = {
  name: "completion",
  summary: "print the shell completion script (bash or zsh)",
  synopsis: "bash|zsh",
  description: ["Completes commands, options, stack names (from the Pulumi.<stack>.yaml files in the current directory) and component ids."],
  positionals: { name: "bash|zsh", help: "the shell", complete: "shells" },
  options: {},
  examples: [
    { command: "source <(npx myoci completion bash)", says: "in ~/.bashrc" },
    { command: "source <(npx myoci completion zsh)", says: "in ~/.zshrc" },
  ],
  exitCodes: [
    [0, "printed"],
    [2, "unknown shell"],
  ],
} as const satisfies CommandSpec;

/** The commands in the order `npx myoci help` lists them; each maps to its module in cli/commands (help and completion live in main). */
export const SPECS: readonly CommandSpec[] = [CHECK, DRIFT, PIN, PROMOTE, ROLLOUT, ROLLBACK, VULNS, DOCS, DASHBOARD, PLAN, POLICY, HELP, COMPLETION];
