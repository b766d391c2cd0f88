/**
 * CLI conventions, run in-process through `main(argv, io)`: --version, did-you-mean, `help <cmd>`, one help
 * format with examples, the JSON envelope (schema-checked) with errors on stdout, colour only on a terminal.
 */
import { expect } from "chai";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../cli/main";
import { SPECS } from "../../cli/commands/specs";
import { didYouMean } from "../../cli/framework/command";
import { generateDocs } from "../../cli/app/docs";
import { envelopeSchema, makeEnvelope } from "../../cli/framework/output/envelope";
import { memoryIO } from "./io";

const ROOT = path.join(__dirname, "..", "..");
const PROJECT = path.join(ROOT, "tests", "dashboard", "fixtures", "project");
const COMMANDS = SPECS.map((s) => s.name);

describe("CLI conventions", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-cli-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const project = (): string => {
    const copy = path.join(dir, "project");
    cpSync(PROJECT, copy, { recursive: true });
    return copy;
  };

  it("--version prints the package's version", async () => {
    const io = memoryIO({ cwd: dir });
    expect(await main(["--version"], io)).to.equal(0);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(io.out()).to.equal(`myoci ${version}\n`);
  });

  it("suggests the command for a typo instead of printing the whole usage", async () => {
    const io = memoryIO({ cwd: dir });
    expect(await main(["chek"], io)).to.equal(2);
    expect(io.err()).to.equal('myoci: unknown command "chek". Did you mean "check"?\nRun `npx myoci help` for the list of commands.\n');
    expect(io.out()).to.equal("");
    const far = memoryIO({ cwd: dir });
    expect(await main(["frobnicate"], far)).to.equal(2);
    expect(far.err()).not.to.contain("Did you mean");
  });

  it("suggests flags, component and stack names", async () => {
    const flag = memoryIO({ cwd: dir });
    expect(await main(["check", "--jsn"], flag)).to.equal(2);
    expect(flag.err()).to.contain("myoci check: unknown option --jsn. Did you mean --json?");
    expect(flag.err()).to.contain("Run `npx myoci help check`");
    const component = memoryIO({ cwd: project() });
    expect(await main(["pin", "grafna", "13.0.3", "--stack", "staging", "--digest", `sha256:${"a".repeat(64)}`], component)).to.equal(2);
    expect(component.err()).to.contain('unknown component "grafna". Did you mean "grafana"?');
    const rollout = memoryIO({ cwd: dir });
    expect(await main(["rollout", "ntyf=v2.28.0"], rollout)).to.equal(2);
    expect(rollout.err()).to.contain('unknown component "ntyf". Did you mean "ntfy"?');
    const stack = memoryIO({ cwd: project() });
    expect(await main(["drift", "--stack", "prdo"], stack)).to.equal(2);
    expect(stack.err()).to.contain("no stack file Pulumi.prdo.yaml in ");
    expect(stack.err()).to.contain('. Did you mean "prod"? (stacks here: prod, staging)');
    expect(didYouMean("prod", ["staging", "prod"])).to.equal("prod");
    expect(didYouMean("xyz", ["staging", "prod"])).to.equal(undefined);
  });

  it("`help <cmd>` is `<cmd> --help`; every command's help has one format with EXAMPLES", async () => {
    for (const name of COMMANDS) {
      const viaHelp = memoryIO({ cwd: dir });
      const viaFlag = memoryIO({ cwd: dir });
      expect(await main(["help", name], viaHelp), name).to.equal(0);
      expect(await main([name, "--help"], viaFlag), name).to.equal(0);
      const help = viaHelp.out();
      expect(viaFlag.out(), name).to.equal(help);
      expect(help.split("\n")[0], name).to.match(new RegExp(`^npx myoci ${name} — \\S`));
      const headings = help.split("\n").filter((line) => /^[A-Z][A-Z ]+$/.test(line));
      expect(
        headings.filter((h) => h !== "ARGUMENTS"),
        name,
      ).to.deep.equal(["USAGE", "OPTIONS", "EXAMPLES", "EXIT CODES"]);
      const examples = help.slice(help.indexOf("\nEXAMPLES\n"), help.indexOf("\nEXIT CODES\n"));
      expect(examples.match(/^ {2}\$ .*npx myoci /gm)?.length ?? 0, name).to.be.at.least(1);
      expect(help, name).to.contain("--no-color");
    }
    const top = memoryIO({ cwd: dir });
    expect(await main(["help"], top)).to.equal(0);
    expect(top.out()).to.contain("EXAMPLES");
    for (const name of COMMANDS) expect(top.out()).to.contain(`  ${name} `);
  });

  it("the envelope schema: head keys in order, data after, bad envelopes rejected", () => {
    const envelope = makeEnvelope("check", new Date("2026-11-27T12:00:00Z"), 1, [], { schemaVersion: 1, exitCode: 1, stacks: [] });
    expect(Object.keys(envelope)).to.deep.equal(["schemaVersion", "command", "generatedAt", "exitCode", "errors", "stacks"]);
    expect(envelopeSchema.safeParse({ schemaVersion: 1, command: "check", generatedAt: "2026-11-27T12:00:00Z", exitCode: 0 }).success).to.equal(false);
    expect(envelopeSchema.safeParse({ ...envelope, errors: [{ message: "" }] }).success).to.equal(false);
    expect(envelopeSchema.safeParse({ ...envelope, generatedAt: "yesterday" }).success).to.equal(false);
  });

  /** Runs a command with --json and checks stdout is exactly one valid envelope of that command. */
  async function envelopeOf(argv: string[], cwd: string, env?: Record<string, string | undefined>) {
    const io = memoryIO({ cwd, env });
    const code = await main(argv, io);
    const parsed = envelopeSchema.parse(JSON.parse(io.out()));
    expect(parsed.command).to.equal(argv[0]);
    expect(parsed.exitCode).to.equal(code);
    return { code, envelope: parsed as Record<string, unknown> & typeof parsed, stderr: io.err() };
  }

  it("--json on every reporting command prints one envelope, errors inside it on stdout", async () => {
    const reporting = SPECS.filter((s) => s.json === true).map((s) => s.name);
    expect(reporting).to.deep.equal(["check", "drift", "pin", "promote", "rollout", "rollback", "vulns", "docs", "dashboard", "plan", "policy"]);
    const empty = path.join(dir, "empty");
    mkdirSync(empty);
    // Errors: no stack files, a missing flag, no Pulumi CLI: the envelope, nothing on stderr.
    const check = await envelopeOf(["check", "--json"], empty);
    expect(check.code).to.equal(2);
    expect(check.envelope.errors).to.deep.equal([{ message: `no Pulumi.<stack>.yaml in ${empty}` }]);
    expect(check.stderr).to.equal("");
    const drift = await envelopeOf(["drift", "--json"], empty);
    expect(drift.envelope.errors).to.deep.equal([{ message: "expected --stack <name>" }]);
    expect(drift.stderr).to.equal("");
    for (const command of ["plan", "policy"]) {
      const missing = await envelopeOf([command, "--json"], empty);
      expect([missing.code, missing.envelope.errors, missing.stderr]).to.deep.equal([2, [{ message: "--stack is required" }], ""]);
    }
    const flag = await envelopeOf(["vulns", "--json", "--stak", "prod"], empty);
    expect(flag.envelope.errors).to.deep.equal([{ message: "unknown option --stak. Did you mean --stack?" }]);
    const rollback = await envelopeOf(["rollback", "--stack", "prod", "--json"], project(), { PATH: empty });
    expect((rollback.envelope.errors as { message: string }[])[0]?.message).to.contain("the Pulumi CLI is not installed");
    // Data: the command's own keys after the head.
    const cwd = project();
    const vulns = await envelopeOf(["vulns", "--offline", "--json"], cwd);
    expect(Object.keys(vulns.envelope).slice(5)).to.deep.equal(["checkedAt", "findings", "state", "newKeys", "unmatchedReports", "summary", "osv"]);
    const pin = await envelopeOf(
      [
        "pin",
        "ntfy",
        "v2.28.0",
        "--stack",
        "prod",
        "--dry-run",
        "--json",
        "--digest",
        "sha256:6ef4b819f722fccdc036af611c4774cfdc2de821ab74fdd48bbf4c9d6f8973da",
      ],
      cwd,
    );
    expect(pin.envelope).to.include({ exitCode: 0, stack: "prod", component: "ntfy", dryRun: true, written: false });
    const promote = await envelopeOf(["promote", "--from", "staging", "--to", "prod", "ntfy", "--dry-run", "--json"], cwd);
    expect(promote.envelope.promoted).to.deep.equal(["ntfy"]);
    const docs = await envelopeOf(["docs", "--check", "--json"], cwd);
    expect(docs.code).to.equal(1);
    // A fresh copy has none of the generated files: every one is stale.
    expect((docs.envelope.errors as { file: string }[]).map((e) => e.file)).to.deep.equal(generateDocs(cwd).map((f) => f.name));
    const dashboard = await envelopeOf(["dashboard", "--json", "--out", path.join(dir, "site")], cwd);
    expect(dashboard.envelope.counts).to.include({ rule: 1, "end-of-life": 1, promote: 1 });
    // Bad input names file, key and value inside the envelope.
    const bad = await envelopeOf(["dashboard", "--json", "--check-json", path.join(cwd, "promotions.yaml")], cwd);
    expect(bad.code).to.equal(2);
    expect((bad.envelope.errors as { file?: string; key?: string }[])[0]).to.include({ file: "promotions.yaml", key: "(root)" });
  });

  it("colours only on a terminal, never with NO_COLOR or --no-color", async () => {
    const run = async (tty: boolean, env: Record<string, string | undefined>, extra: string[] = []) => {
      const cwd = project();
      const io = memoryIO({ cwd, tty, env: { PATH: process.env["PATH"], ...env } });
      expect(await main(["docs", ...extra], io)).to.equal(0);
      rmSync(cwd, { recursive: true, force: true });
      return io.out();
    };
    expect(await run(true, {})).to.contain("DEPENDENCIES.md: \u001b[32mwritten\u001b[39m");
    expect(await run(false, {})).to.equal(
      generateDocs(PROJECT)
        .map((f) => `${f.name}: written\n`)
        .join(""),
    );
    expect(await run(true, { NO_COLOR: "1" })).not.to.contain("\u001b[");
    expect(await run(true, {}, ["--no-color"])).not.to.contain("\u001b[");
    expect(await run(true, { TERM: "dumb" })).not.to.contain("\u001b[");
  });
});
