#!/usr/bin/env node
// Installs the Pulumi CLI of exactly the SDK's version (@pulumi/pulumi as package-lock.json pins it, so Renovate's
// SDK update moves the CLI too) into .cache/tools/pulumi-<version> with the SDK's own installer
// (PulumiCommand.install: get.pulumi.com/install.sh --version), and prints the directory holding `pulumi`.
// Usage in a workflow step: node scripts/ci/install-pulumi.js >> "$GITHUB_PATH"
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const { PulumiCommand } = require("@pulumi/pulumi/automation");
const { version } = require("@pulumi/pulumi/package.json");

async function main() {
  const root = path.join(process.env.MYOCI_TOOLS_DIR ?? path.join(__dirname, "..", "..", ".cache", "tools"), `pulumi-${version}`);
  await PulumiCommand.install({ root });
  const bin = path.join(root, "bin");
  const installed = execFileSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).trim();
  if (installed !== `v${version}`) {
    throw new Error(`${root}: pulumi ${installed}, expected v${version} (the @pulumi/pulumi version)`);
  }
  process.stderr.write(`install-pulumi: pulumi ${installed} in ${bin}\n`);
  process.stdout.write(`${bin}\n`);
}

main().catch((error) => {
  process.stderr.write(`install-pulumi: ${error.message}\n`);
  process.exit(2);
});
