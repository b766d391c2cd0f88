/**
 * The fault suite's cases, generated from categories: stack-file content (what users write, right and wrong),
 * command-line arguments of every command, and the secret-echo category. Disk, kill and concurrency faults are
 * in faults.test.ts (they need set-up per case).
 */
import { PLANTED_SECRETS } from "./harness";
import { testDigest } from "../helpers/stack-fixture";

/** A mutation of the prod fixture; throws when the text to replace is not there (a case that cannot fail). */
export function edit(...pairs: [string | RegExp, string][]): (text: string) => string {
  return (text) =>
    pairs.reduce((out, [from, to]) => {
      const next = out.replace(from, to);
      if (next === out) {
        throw new Error(`fixture has no ${String(from)}`);
      }
      return next;
    }, text);
}

const LOKI_TAG = "      tag: 3.0.0 # keeps the 3.0 line with promtail";
const CADDY_TAG = "      tag: 2.10.2";
const DOMAIN = "  myoci:domain: 'example.org'";

export interface ConfigCase {
  readonly name: string;
  readonly content: (text: string) => string | Buffer;
  /** Expected in stderr; absent: the file is valid and the pin succeeds (exit 0). */
  readonly message?: string | RegExp;
}

const bad = (name: string, content: (text: string) => string | Buffer, message: string | RegExp): ConfigCase => ({ name, content, message });
const good = (name: string, content: (text: string) => string | Buffer): ConfigCase => ({ name, content });

const latin1 = (text: string) => Buffer.from(text, "latin1");

/** Stack-file content: structure, YAML syntax, encoding, types, namespaces, keys, values, secrets. */
export const CONFIG_CASES: readonly ConfigCase[] = [
  // the file's shape: one specific message each
  bad("an empty file", () => "", "Pulumi.prod.yaml: (file) = (empty): expected a stack file"),
  bad("only whitespace", () => "  \n\n   \n", "(file) = (empty)"),
  bad("only comments", () => "# nothing here yet\n# still nothing\n", "(file) = (empty)"),
  bad("a list at the top", () => "- config\n- images\n", "(file) = (a list): expected a map at the top"),
  bad("a scalar at the top", () => "just text\n", '(file) = ("just text"): expected a map at the top'),
  bad(
    "no config: key",
    () => "encryptionsalt: v1:abc\nbackend: local\n",
    "config = (missing): expected a config: map holding the myoci: keys (top-level keys found: encryptionsalt, backend)",
  ),
  bad("config: empty", () => "config:\n", "config = (empty): expected a map of myoci: keys"),
  bad("config: a list", () => "config:\n  - myoci:domain\n", "config = (a list): expected a map of myoci: keys"),
  bad("config: a scalar", () => "config: myoci\n", 'config = ("myoci"): expected a map of myoci: keys'),
  // YAML syntax, with its line
  bad("a tab in the indentation", edit([DOMAIN, "\tmyoci:domain: 'example.org'"]), /Pulumi\.prod\.yaml: \(line 5\) = \(invalid YAML\)/),
  bad("an unclosed quote", edit([DOMAIN, "  myoci:domain: 'example.org"]), /Pulumi\.prod\.yaml: \(line \d+\) = \(invalid YAML\)/),
  bad("a duplicate key", edit([DOMAIN, `${DOMAIN}\n  myoci:domain: other.example.org`]), /\(line 6\) = \(invalid YAML\): Map keys must be unique/),
  bad(
    "an undefined alias",
    edit([LOKI_TAG, "      tag: *nowhere"]),
    /\(aliases\) = \(unresolvable\): expected aliases that resolve .*Unresolved alias.*nowhere/,
  ),
  bad("a bad indentation", edit(["    loki:\n", "   loki:\n"]), /\(line \d+\) = \(invalid YAML\)/),
  bad(
    "an alias bomb",
    (t) =>
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n${t}`,
    /\(aliases\) = \(unresolvable\): expected aliases that resolve to a finite value \(Excessive alias count/,
  ),
  // encoding: invalid UTF-8 reported with its line, never turned into U+FFFD
  bad(
    "a Latin-1 byte in a comment",
    (t) => latin1(t.replace("# the pins", "# the pins (café)")),
    /Pulumi\.prod\.yaml: \(line \d+, column 18\) = byte 0xe9: expected UTF-8 text/,
  ),
  bad("a Latin-1 byte in a value", (t) => latin1(t.replace("ops@example.org", "opé@example.org")), /\(line 6, column 22\) = byte 0xe9/),
  bad(
    "a stray continuation byte",
    (t) => Buffer.concat([Buffer.from(t.slice(0, 20)), Buffer.from([0x80]), Buffer.from(t.slice(20))]),
    /\(line 1, column 21\) = byte 0x80/,
  ),
  bad("a truncated multi-byte sequence at the end", (t) => Buffer.concat([Buffer.from(t), Buffer.from([0xe2, 0x82])]), /= byte 0xe2: expected UTF-8 text/),
  bad("an overlong encoding", (t) => Buffer.concat([Buffer.from("# "), Buffer.from([0xc0, 0xaf]), Buffer.from(`\n${t}`)]), /\(line 1, column 3\) = byte 0xc0/),
  bad(
    "UTF-16 with a BOM",
    (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, "utf16le")]),
    /\(line 1, column 1\) = byte 0xff: expected UTF-8 text/,
  ),
  // numbers, booleans and nulls where text is expected: "quote it"
  bad(
    "tag: 2.10 (a number)",
    edit([CADDY_TAG, "      tag: 2.10"]),
    'myoci:images.caddy.tag = 2.10: expected a version tag; YAML reads the unquoted 2.10 as the number 2.1: quote it ("2.10")',
  ),
  bad(
    "tag: 3 (an integer)",
    edit([LOKI_TAG, "      tag: 3"]),
    'myoci:images.loki.tag = 3: expected a version tag; YAML reads the unquoted 3 as the number 3: quote it ("3")',
  ),
  bad("tag: 1e3 (a float)", edit([LOKI_TAG, "      tag: 1e3"]), 'YAML reads the unquoted 1e3 as the number 1000: quote it ("1e3")'),
  bad("tag: true (a boolean)", edit([LOKI_TAG, "      tag: true"]), 'YAML reads the unquoted true as the boolean true: quote it ("true")'),
  bad("tag: ~ (null)", edit([LOKI_TAG, "      tag: ~"]), "myoci:images.loki.tag = ~: expected a version tag"),
  bad("tag: a list", edit([LOKI_TAG, "      tag: [3.0.0]"]), 'myoci:images.loki.tag = ["3.0.0"]: expected a version tag'),
  bad(
    "telegramChatId unquoted",
    edit(['myoci:telegramChatId: "100200300"', "myoci:telegramChatId: 100200300"]),
    'myoci:telegramChatId = 100200300: expected a string; YAML reads the unquoted 100200300 as the number 100200300: quote it ("100200300")',
  ),
  bad(
    "digest: a number",
    edit([/digest: sha256:[0-9a-f]+ # keeps/, "digest: 12345 # keeps"]),
    "myoci:images.loki.digest = 12345: expected a string sha256:<64 lower-case hex digits>",
  ),
  bad("digest: upper-case hex", edit([/(loki:\n.*\n\s+digest: sha256:)([0-9a-f]+)/, `$1${"A".repeat(64)}`]), "myoci:images.loki.digest"),
  bad("a floating tag", edit([LOKI_TAG, "      tag: latest"]), "myoci:images.loki.tag"),
  // namespaces and keys
  bad(
    "a misspelt namespace mycoi:",
    edit([DOMAIN, "  mycoi:domain: 'example.org'"]),
    'mycoi:domain = (set): unknown namespace "mycoi": this program reads myoci: keys (did you mean myoci:domain?)',
  ),
  bad("a misspelt namespace myoic:", edit(["  myoci:acmeEmail:", "  myoic:acmeEmail:"]), 'unknown namespace "myoic"'),
  bad("a key without namespace", edit([DOMAIN, `${DOMAIN}\n  domain: example.org`]), "domain = (set): expected a namespaced key such as myoci:domain"),
  bad("an unknown myoci: key", edit([DOMAIN, `${DOMAIN}\n  myoci:domian: example.org`]), 'myoci:domian = "example.org": expected a known config key'),
  bad(
    "an unknown component",
    edit(["  myoci:images:\n", "  myoci:images:\n    lokii:\n      tag: 3.0.0\n      digest: sha256:" + "a".repeat(64) + "\n"]),
    "myoci:images.lokii",
  ),
  bad("a pin with an extra key", edit([LOKI_TAG, `${LOKI_TAG}\n      digets: x`]), "expected only tag and digest, not digets"),
  bad("images: a list", edit([/ {2}myoci:images:\n(?: {4}.*\n)+/, "  myoci:images:\n    - loki\n"]), "myoci:images"),
  bad(
    "logShipper misspelt",
    edit(["myoci:logShipper: promtail", "myoci:logShipper: promtial"]),
    'myoci:logShipper = "promtial": expected "promtail" or "alloy"',
  ),
  bad("domain missing", edit([`${DOMAIN}\n`, ""]), "myoci:domain = (missing): expected the platform's DNS domain, e.g. example.org"),
  bad("postgresDataMajor: words", edit(["myoci:postgresDataMajor: 16", "myoci:postgresDataMajor: sixteen"]), 'myoci:postgresDataMajor = "sixteen"'),
  bad(
    "postgresDataMajor: a fraction",
    edit(["myoci:postgresDataMajor: 16", "myoci:postgresDataMajor: 16.5"]),
    /myoci:postgresDataMajor = 16\.5: expected a whole number/,
  ),
  bad("a dockerHost of the wrong form", edit(["unix:///var/run/docker.sock", "docker.sock"]), "myoci:dockerHost"),
  // secrets: the value never appears in a message
  bad(
    "a plain-text secret",
    edit([DOMAIN, `${DOMAIN}\n  myoci:ntfyPassword: ${PLANTED_SECRETS[1]}`]),
    "myoci:ntfyPassword = (plain text): expected a Pulumi secret",
  ),
  bad(
    "a plain-text secret that is also too short",
    edit([/ {2}myoci:grafanaAdminPassword:\n.*\n/, `  myoci:grafanaAdminPassword: ${PLANTED_SECRETS[0]}\n`]),
    "myoci:grafanaAdminPassword = (plain text)",
  ),
  bad(
    "a secure: map with an extra key",
    edit([/ {4}secure: (v1:Zm9v\S+)/, `    secure: $1\n    note: ${PLANTED_SECRETS[2]}`]),
    "myoci:grafanaAdminPassword = (plain text)",
  ),
  // valid YAML as users write it: the pin succeeds
  good("the fixture itself", (t) => t),
  good(
    "an anchor and an alias for a whole pin",
    edit(["    netbirdSignal:\n", "    netbirdSignal: &nb\n"], [/ {4}netbirdRelay:\n {6}tag: \S+\n {6}digest: \S+\n/, "    netbirdRelay: *nb\n"]),
  ),
  good(
    "a << merge key",
    edit(["    netbirdSignal:\n", "    netbirdSignal: &nb\n"], [/ {4}netbirdRelay:\n {6}tag: \S+\n/, "    netbirdRelay:\n      <<: *nb\n"]),
  ),
  good("an anchored scalar reused", edit(["      tag: 0.76.1\n", "      tag: &nbv 0.76.1\n"], [/( {4}netbirdRelay:\n {6}tag: )0\.76\.1/, "$1*nbv"])),
  good("a UTF-8 BOM", (t) => `\ufeff${t}`),
  good("UTF-8 comments and values", edit(["# the pins", "# the pins — grüße, 日本, 🚀"])),
  good("CRLF line ends", (t) => t.replace(/\n/g, "\r\n")),
  good("flow-style pins", edit([/( {4}ntfy:)\n {6}tag: (\S+)\n {6}digest: (\S+)\n/, "$1 { tag: $2, digest: $3 }\n"])),
  good("quoted keys", edit(["  myoci:acmeEmail:", '  "myoci:acmeEmail":'])),
  good("provider keys of this program", edit([DOMAIN, `${DOMAIN}\n  docker:host: unix:///var/run/docker.sock\n  pulumi:tags:\n    team: ops`])),
  good("a document start marker", (t) => `---\n${t}`),
];

export interface CliCase {
  readonly name: string;
  /** Arguments after `myoci`; DIR is replaced by the fixture project, DIGEST by a valid digest. */
  readonly args: readonly string[];
  readonly message: string | RegExp;
  readonly code?: number;
  /** Where the message goes (default stderr; `check` reports per-stack errors in its report). */
  readonly stream?: "stdout" | "stderr";
}

const D = testDigest("fault-suite");

/** Command-line arguments of every command: names are names, paths are checked before work, one clean message. */
export const CLI_CASES: readonly CliCase[] = [
  ...["x/../../evil", "../prod", "/etc/passwd", "a/b", "..", ".hidden", "prod;rm", "prod name", "", "a".repeat(101)].map((stack): CliCase => ({
    name: `pin --stack ${JSON.stringify(stack.slice(0, 20))}`,
    args: ["pin", "loki", "3.0.1", "--stack", stack, "--digest", D, "--project-dir", "DIR"],
    message: "--stack = ",
  })),
  {
    name: "promote --to x/../../evil",
    args: ["promote", "--from", "staging", "--to", "x/../../evil", "--project-dir", "DIR"],
    message: "expected a stack name",
  },
  { name: "promote --from ../staging", args: ["promote", "--from", "../staging", "--to", "prod", "--project-dir", "DIR"], message: "expected a stack name" },
  {
    name: "rollback --stack ../x",
    args: ["rollback", "--stack", "../x", "--project-dir", "DIR"],
    message: 'myoci rollback: expected --stack <name> and --to a whole number from 1 to 100 (got --stack "../x"',
  },
  { name: "drift --stack a/b", args: ["drift", "--stack", "a/b", "--project-dir", "DIR"], message: 'myoci drift: --stack = "a/b": expected a stack name' },
  {
    name: "check --stack ../../etc",
    args: ["check", "--stack", "../../etc"],
    message: 'ERROR: --stack = "../../etc": expected a stack name',
    stream: "stdout",
  },
  { name: "pin: no arguments", args: ["pin"], message: "myoci pin: expected <component> <tag> and --stack" },
  { name: "pin: an unknown option", args: ["pin", "loki", "3.0.1", "--stack", "prod", "--frobnicate"], message: "myoci pin: unknown option --frobnicate." },
  {
    name: "pin: an unknown component",
    args: ["pin", "lokki", "3.0.1", "--stack", "prod", "--digest", D, "--project-dir", "DIR"],
    message: 'myoci pin: unknown component "lokki". Did you mean "loki"?',
  },
  {
    name: "pin: a tag of the wrong scheme",
    args: ["pin", "loki", "v3.0.1-beta", "--stack", "prod", "--digest", D, "--project-dir", "DIR"],
    message: "myoci:images.loki.tag",
  },
  {
    name: "pin: a malformed digest",
    args: ["pin", "loki", "3.0.1", "--stack", "prod", "--digest", "sha256:xyz", "--project-dir", "DIR"],
    message: 'myoci:images.loki.digest = "sha256:xyz"',
  },
  {
    name: "pin: a stack without a file",
    args: ["pin", "loki", "3.0.1", "--stack", "qa", "--digest", D, "--project-dir", "DIR"],
    message: "myoci pin: no stack file Pulumi.qa.yaml in ",
  },
  {
    name: "pin: a project dir that does not exist",
    args: ["pin", "loki", "3.0.1", "--stack", "prod", "--digest", D, "--project-dir", "/nonexistent/project"],
    message: "myoci pin: no stack file Pulumi.prod.yaml in /nonexistent/project",
  },
  {
    name: "promote: the same stack twice",
    args: ["promote", "--from", "prod", "--to", "prod", "--project-dir", "DIR"],
    message: "expected --from and --to naming two different stacks",
  },
  {
    name: "promote: an unknown component",
    args: ["promote", "--from", "staging", "--to", "prod", "nope", "--project-dir", "DIR"],
    message: "myoci:images.nope: unknown component",
  },
  {
    name: "dashboard --out /proc/nope (must not spin)",
    args: ["dashboard", "--out", "/proc/nope", "--project-dir", "DIR"],
    message: "cannot write /proc/nope/index.html: /proc does not accept new files",
  },
  {
    name: "dashboard --out a regular file",
    args: ["dashboard", "--out", "DIR/Pulumi.yaml", "--project-dir", "DIR"],
    message: /cannot write .*Pulumi\.yaml\/index\.html: .*Pulumi\.yaml is not a directory/,
  },
  {
    name: "dashboard --out under a regular file",
    args: ["dashboard", "--out", "DIR/Pulumi.yaml/site", "--project-dir", "DIR"],
    message: /Pulumi\.yaml is not a directory/,
  },
  { name: "dashboard --check-json missing", args: ["dashboard", "--check-json", "DIR/none.json", "--project-dir", "DIR"], message: "none.json" },
  {
    name: "vulns --trivy missing.json",
    args: ["vulns", "--trivy", "reports/missing.json", "--project-dir", "DIR"],
    message: "myoci vulns: reports/missing.json: (file) = (unreadable): expected a readable Trivy JSON report (no such file)",
  },
  {
    name: "vulns --trivy a directory",
    args: ["vulns", "--trivy", "DIR", "--project-dir", "DIR"],
    message: "expected a readable Trivy JSON report (is a directory)",
  },
  {
    name: "vulns --trivy not JSON",
    args: ["vulns", "--trivy", "DIR/Pulumi.yaml", "--project-dir", "DIR"],
    message: /myoci vulns: \/.*\/Pulumi\.yaml: \(root\) = \(invalid JSON\): a Trivy JSON report/,
  },
  {
    name: "docs --check without the docs",
    args: ["docs", "--check", "--project-dir", "DIR"],
    message: /DEPENDENCIES\.md is missing \(no such file in .*\): run/,
    code: 1,
  },
  { name: "an unknown command", args: ["frobnicate"], message: 'myoci: unknown command "frobnicate"' },
];
