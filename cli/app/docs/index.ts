/**
 * DEPENDENCIES.md and COMPATIBILITY_MATRIX.md, generated from the catalog and the stack files.
 * Deterministic: no timestamps, stacks and components in a fixed order, so `myoci docs --check` can compare bytes.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import {
  advisoriesFor,
  fixedAbove,
  knownAffects,
  packageVersion,
  versionAsTag,
  CATALOG,
  changelogUrl,
  COMPATIBILITY_RULES,
  PROMTAIL_LAST_LINE,
  TRANSITION_RULES,
  type ComponentId,
  type ImagePin,
  type ParsedTag,
} from "../../../catalog";
import type { StackConfig } from "../../../config/schema";
import { loadStackFile } from "../../../config/stack-file";
import { DEFAULT_STATE_FILE, readVulnState } from "../../../config/vulns-state";
import { inCatalogOrder } from "../../../config/stack-file/pins";
import { generateRenovateConfig, RENOVATE_FILE } from "./renovate";
import { toolingSection } from "./tooling";

export const DEPENDENCIES_FILE = "DEPENDENCIES.md";
export const MATRIX_FILE = "COMPATIBILITY_MATRIX.md";

/** System requirements of the tool and the platform (kept here: the docs generator is their one source). */
export const SYSTEM_REQUIREMENTS: readonly { name: string; version: string; where: string; note: string }[] = [
  { name: "Node.js", version: "24 LTS (≥ 24.11)", where: "operator machine, CI", note: "runs the Pulumi program and `myoci` (package.json engines; see Tooling)" },
  { name: "Pulumi CLI", version: "3.x, the SDK's version (see Tooling)", where: "operator machine, CI", note: "`pulumi preview` / `up` / `refresh`; CI installs exactly the SDK's" },
  { name: "Docker Engine", version: "≥ 24", where: "each stack's Docker host", note: "runs the containers; reached over ssh:// or the local unix socket" },
  { name: "Podman (Docker-compatible API) with runc", version: "Debian package", where: "tests only", note: "`myoci drift` tests run real containers through it" },
  { name: "docker-registry (CNCF distribution 2.8)", version: "Debian package", where: "tests only", note: "local registry for `myoci check`/`pin` tests" },
];

/** Known advisories of the forwarder's Python packages (stack-facts; cvelistV5). Affected: below `fixed`. */
export const PYTHON_ADVISORIES: readonly { package: string; id: string; fixed: string }[] = [
  { package: "requests", id: "CVE-2024-35195", fixed: "2.32.0" },
  { package: "requests", id: "CVE-2024-47081", fixed: "2.32.4" },
];

const md = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Stack names of the `Pulumi.<stack>.yaml` files in the project, sorted. */
export function discoverStacks(projectDir: string): string[] {
  return readdirSync(projectDir)
    .map((name) => /^Pulumi\.([\w.-]+)\.yaml$/.exec(name)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

export interface PythonRequirement {
  readonly name: string;
  readonly version: string;
}

export function readRequirements(file: string): PythonRequirement[] | undefined {
  if (!existsSync(file)) {
    return undefined;
  }
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "")
    .map((line) => {
      const match = /^([A-Za-z0-9._-]+)\s*==\s*([^\s;]+)/.exec(line);
      return match ? { name: match[1]!, version: match[2]! } : { name: line, version: "(not pinned)" };
    });
}

function versionBelow(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (Number.isNaN(d)) {
      return false;
    }
    if (d !== 0) {
      return d < 0;
    }
  }
  return false;
}

interface LoadedStack {
  readonly name: string;
  readonly config: StackConfig;
}

function loadStacks(projectDir: string): LoadedStack[] {
  return discoverStacks(projectDir).map((name) => ({ name, config: loadStackFile(projectDir, name, { placeholderSecrets: true }) }));
}

/** One pin row; `version` is the pin's tag as the stack config parsed it. */
function pinRow(component: ComponentId, pin: ImagePin, version: ParsedTag | undefined): string {
  const entry = CATALOG[component];
  const eol = entry.endOfLife ? `**${entry.endOfLife.date}** (${md(entry.endOfLife.note)})` : "—";
  const advisories = version ? advisoriesFor(component, version) : [];
  const advisoryText = advisories.length > 0 ? advisories.map((a) => `[${a.id}](${a.url}) (${a.severity})`).join(", ") : "none known";
  const changelog = version ? `[release notes](${changelogUrl(component, version.raw)})` : "—";
  return `| ${entry.title} (\`${component}\`) | \`${entry.registry}/${entry.repository}\` | ${entry.registry} | \`${pin.tag}\` | \`${pin.digest}\` | ${eol} | ${advisoryText} | ${changelog} |`;
}

/** Open OSV findings per stack and component, from the committed snapshot (`npx myoci vulns --refresh`). */
function openFindingsSection(projectDir: string, stacks: readonly LoadedStack[]): string[] {
  const state = readVulnState(path.join(projectDir, DEFAULT_STATE_FILE));
  const out = ["## Open vulnerability findings (OSV snapshot)", ""];
  if (!state.osv) {
    out.push("No OSV snapshot in vulns-state.json yet: `npx myoci vulns --refresh` writes it (catalog advisories are in the tables above).", "");
    return out;
  }
  out.push(`From the snapshot in vulns-state.json (refreshed ${state.osv.refreshedAt} from ${state.osv.source}); packages per component: catalog/packages.ts.`, "");
  const rows: string[] = [];
  for (const { name, config } of stacks) {
    for (const component of inCatalogOrder(Object.keys(config.images) as ComponentId[])) {
      const pin = config.images[component]!;
      const version = config.versions[component];
      if (!version) continue;
      for (const v of state.osv.vulnerabilities.filter((x) => x.component === component && knownAffects(x, version))) {
        const fix = fixedAbove(v.ranges, v.packageVersion ?? packageVersion(version));
        rows.push(`| ${name} | ${component} | \`${pin.tag}\` | [${v.id}](${v.url}) (${v.severity}) | ${md(v.summary)} | ${fix !== undefined ? versionAsTag(fix) : "no fix known"} |`);
      }
    }
  }
  if (rows.length === 0) out.push("None for the pinned versions.", "");
  else out.push("| stack | component | tag | finding | summary | fixed in |", "|---|---|---|---|---|---|", ...rows, "");
  return out;
}

export function generateDependencies(projectDir: string): string {
  const stacks = loadStacks(projectDir);
  const out: string[] = [
    "# Dependencies",
    "",
    "<!-- Generated by `myoci docs` from catalog/ and the Pulumi.<stack>.yaml files. Do not edit; run `npx myoci docs`. -->",
    "",
    "Every image is pinned by tag and by the sha256 digest of its multi-arch index. Advisories are the catalog's",
    "(catalog/advisories.ts) that affect the pinned version; end-of-life dates come from catalog/images.ts.",
    "",
  ];
  for (const { name, config } of stacks) {
    out.push(`## Stack \`${name}\``, "", `Docker host: \`${config.dockerHost}\` · log shipper: ${config.logShipper}`, "");
    out.push("| component | image | registry | tag | digest | end of life | advisories affecting the pin | changelog |");
    out.push("|---|---|---|---|---|---|---|---|");
    for (const component of inCatalogOrder(Object.keys(config.images) as ComponentId[])) {
      out.push(pinRow(component, config.images[component]!, config.versions[component]));
    }
    out.push("");
  }
  out.push(...openFindingsSection(projectDir, stacks));
  out.push("## System requirements", "", "| software | version | where | note |", "|---|---|---|---|");
  for (const r of SYSTEM_REQUIREMENTS) {
    out.push(`| ${r.name} | ${r.version} | ${r.where} | ${md(r.note)} |`);
  }
  out.push("", ...toolingSection(projectDir));
  out.push("## Telegram forwarder: Python packages", "");
  const requirements = readRequirements(path.join(projectDir, "forwarder", "requirements.txt"));
  if (requirements === undefined) {
    out.push("None: the forwarder runs on Python's standard library alone (no `forwarder/requirements.txt`, no pip step).", "");
  } else {
    out.push("From `forwarder/requirements.txt` (base image: the `forwarderBase` pin above).", "", "| package | version | known advisories affecting it |", "|---|---|---|");
    for (const r of requirements) {
      const affecting = PYTHON_ADVISORIES.filter((a) => a.package === r.name.toLowerCase() && versionBelow(r.version, a.fixed));
      out.push(`| ${r.name} | ${r.version} | ${affecting.length > 0 ? affecting.map((a) => `${a.id} (fixed ${a.fixed})`).join(", ") : "none known"} |`);
    }
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

export function generateCompatibilityMatrix(projectDir: string): string {
  const stacks = loadStacks(projectDir);
  const out: string[] = [
    "# Compatibility matrix",
    "",
    "<!-- Generated by `myoci docs` from catalog/rules.ts and the Pulumi.<stack>.yaml files. Do not edit; run `npx myoci docs`. -->",
    "",
    "The rules below are enforced by the policy pack, `myoci check`, `myoci pin` and `myoci promote` (catalog/rules.ts).",
    "",
    "## Rules between pinned images",
    "",
    "| rule | components | reason | source |",
    "|---|---|---|---|",
  ];
  for (const rule of COMPATIBILITY_RULES) {
    out.push(`| **${md(rule.title)}** (\`${rule.id}\`) | ${rule.components.map((c) => `\`${c}\``).join(", ")} | ${md(rule.reason)} | ${md(rule.source)} |`);
  }
  out.push("", "## Rules about a change from one pin set to the next", "", "| rule | reason | source |", "|---|---|---|");
  for (const rule of TRANSITION_RULES) {
    out.push(`| **${md(rule.title)}** (\`${rule.id}\`) | ${md(rule.reason)} | ${md(rule.source)} |`);
  }
  out.push("", "## Tested combinations", "", "Each stack's pin set is a combination the rules accept and the stack runs.", "");
  const components = inCatalogOrder(new Set(stacks.flatMap((s) => Object.keys(s.config.images) as ComponentId[])));
  out.push(`| component | ${stacks.map((s) => `\`${s.name}\``).join(" | ")} |`, `|---|${stacks.map(() => "---|").join("")}`);
  for (const component of components) {
    out.push(`| ${CATALOG[component].title} | ${stacks.map((s) => (s.config.images[component] ? `\`${s.config.images[component].tag}\`` : "—")).join(" | ")} |`);
  }
  out.push(`| log shipper | ${stacks.map((s) => s.config.logShipper).join(" | ")} |`);
  const [major, minor] = PROMTAIL_LAST_LINE;
  out.push(
    "",
    "## Migration notes",
    "",
    "### Promtail → Grafana Alloy",
    "",
    `Promtail is end of life (${CATALOG.promtail.endOfLife?.date ?? "—"}); its last image line is ${major}.${minor}.x, so Loki beyond ${major}.${minor} needs Alloy.`,
    "",
    "1. Run Alloy on staging (`myoci:logShipper: alloy`, an `alloy` pin, no `promtail` pin) and verify it there (`myoci rollout`).",
    "2. Promote with the switch: `myoci promote --from staging --to prod --switch-log-shipper` — sets prod's",
    "   `myoci:logShipper` to `alloy`, replaces the `promtail` pin by staging's verified `alloy` pin, and refuses if",
    "   staging has not verified that Alloy digest. Without the flag, promoting `alloy` is refused.",
    "3. Only then move Loki past the Promtail line (the `promtail-last-release-line` rule refuses it before).",
    "",
    "### PostgreSQL major upgrade",
    "",
    "A new major cannot read the old data directory (and 18+ moved it to `/var/lib/postgresql`). Never swap the image:",
    "",
    "1. Declare the migration in the stack file: `myoci:postgresMigration: { from: <old>, to: <new> }`.",
    "2. `myoci pin postgres <new tag> --stack <stack>` passes the `postgres-major-needs-migration` rule only with that",
    "   declaration; the rollout dumps (`pg_dumpall`), starts the new major on a new volume, restores, and keeps the old volume.",
    "3. After verification, set `myoci:postgresDataMajor` to the new major and remove `myoci:postgresMigration`.",
  );
  return `${out.join("\n").trimEnd()}\n`;
}

export interface DocsFile {
  readonly name: string;
  readonly content: string;
}

export function generateDocs(projectDir: string): DocsFile[] {
  return [
    { name: DEPENDENCIES_FILE, content: generateDependencies(projectDir) },
    { name: MATRIX_FILE, content: generateCompatibilityMatrix(projectDir) },
    { name: RENOVATE_FILE, content: generateRenovateConfig() },
  ];
}

/** How a generated file compares with what is on disk. */
export type DocsState = "current" | "stale" | "missing";

/** Each generated file's state: missing (no file), stale (other bytes) or current. */
export function docsStatus(projectDir: string, files: readonly DocsFile[] = generateDocs(projectDir)): { name: string; state: DocsState }[] {
  return files.map((f) => {
    const file = path.join(projectDir, f.name);
    const state: DocsState = !existsSync(file) ? "missing" : readFileSync(file, "utf8") !== f.content ? "stale" : "current";
    return { name: f.name, state };
  });
}

/** Names of the generated files whose committed content differs (missing counts as different). */
export function staleDocs(projectDir: string, files: readonly DocsFile[] = generateDocs(projectDir)): string[] {
  return docsStatus(projectDir, files)
    .filter((f) => f.state !== "current")
    .map((f) => f.name);
}
