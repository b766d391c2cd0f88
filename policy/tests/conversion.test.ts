/**
 * The pack converts each resource's properties once per request, straight from the request bytes
 * (policy/lib/one-conversion.ts, issue 15): the same values as google-protobuf's decoding and Struct.toJavaScript
 * on every request of the real program and at the edges of the format, the same findings from the served pack as
 * with the SDK's own conversion, and — counted in the served pack — one conversion per Struct and no message tree,
 * where the SDK's own path converts once per policy.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import { evaluateProgram } from "../../program/evaluate";
import { PROTOBUF_ENV, structToJavaScript } from "../lib/one-conversion";
import { encodeAnalyzeResponse } from "../lib/response-encoding";
import { installedVersions, REVIEWED, unreviewed } from "../lib/reviewed-versions";
import { NOW_ENV } from "../lib/settings";
import { checkWithServer, packConfigFor } from "../offline/check";
import { stackConfigEnv } from "../offline/pack-process";
import type { PackConfig } from "../offline/policy-config";
import { PolicyPackServer } from "../offline/server";
import type { RecordedResource } from "../offline/types";
import { LABEL } from "../lib/resources";
import { changed, container, FIXTURE_RECORDS, FIXTURES, programStack, replace, ROOT, setLabel } from "./helpers";

const plain = (value: Record<string, unknown>): Record<string, JavaScriptValue> => JSON.parse(JSON.stringify(value)) as Record<string, JavaScriptValue>;

const hexOf = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString("hex"));

/** What google-protobuf makes of a Struct's bytes (this test process never loads the pack's patches). */
const byGoogleProtobuf = (bytes: Uint8Array) => Struct.deserializeBinary(bytes).toJavaScript();

// Hand-written protobuf, for the forms Struct.fromJavaScript never writes.
const varint = (value: number): Buffer => {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
};
const field = (number: number, body: Buffer): Buffer => Buffer.concat([varint((number << 3) | 2), varint(body.length), body]);
const str = (text: string): Buffer => field(3, Buffer.from(text, "utf8"));
const num = (value: number): Buffer => {
  const body = Buffer.alloc(9);
  body[0] = 0x11;
  body.writeDoubleLE(value, 1);
  return body;
};
const entry = (key: Buffer | string, value?: Buffer): Buffer =>
  field(1, Buffer.concat([field(1, typeof key === "string" ? Buffer.from(key, "utf8") : key), ...(value === undefined ? [] : [field(2, value)])]));
const struct = (...entries: Buffer[]): Buffer => field(5, Buffer.concat(entries));
const list = (...values: Buffer[]): Buffer => field(6, Buffer.concat(values.map((v) => field(1, v))));

/** Canonical forms beyond what the runner writes: each decodes as google-protobuf decodes it. */
const EDGES: Record<string, Buffer> = {
  "keys out of order (set in sorted order, as jspb.Map does)": Buffer.concat([
    entry("z", str("1")),
    entry("a", str("2")),
    entry("10", str("3")),
    entry("2", str("4")),
  ]),
  "a repeated key (the last entry wins)": Buffer.concat([entry("k", str("first")), entry("a", num(1)), entry("k", str("last"))]),
  "a Value with two kinds (the last wins)": entry("v", Buffer.concat([str("text"), num(2)])),
  doubles: Buffer.concat(
    [-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, Number.MAX_VALUE, 0.1, -(2 ** 53)].map((n, i) => entry(`n${i}`, num(n))),
  ),
  "null, booleans, empty string and key, unicode": Buffer.concat([
    entry("null", Buffer.from([0x08, 0x00])),
    entry("yes", Buffer.from([0x20, 0x01])),
    entry("no", Buffer.from([0x20, 0x00])),
    entry("", str("")),
    entry("grüße", str("— 🚀 \u0000 end")),
  ]),
  "nesting: lists of structs of lists, empty ones": entry(
    "deep",
    list(struct(entry("inner", list(str("a"), list(), struct()))), list(list(num(1))), Buffer.from([0x08, 0x00])),
  ),
  empty: Buffer.alloc(0),
};

/** Forms left to google-protobuf (the decoder answers undefined; the installed pack then decodes by google-protobuf). */
const NOT_CANONICAL: Record<string, Buffer> = {
  "an unknown field in a Value": entry("v", Buffer.concat([str("x"), Buffer.from([0x38, 0x01])])),
  "an unknown field in a Struct": Buffer.concat([entry("a", str("x")), Buffer.from([0x10, 0x01])]),
  "a Value of no kind": entry("v", Buffer.alloc(0)),
  "an entry without a value": entry("v"),
  "invalid UTF-8": entry("v", field(3, Buffer.from([0x61, 0xff, 0x62]))),
  "an over-long varint": entry("v", Buffer.from([0x20, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00])),
  // google-protobuf's conversion yields no own "__proto__" key; assigning one would set the result's prototype.
  'a "__proto__" key': Buffer.concat([entry("__proto__", struct(entry("polluted", str("yes")))), entry("a", str("x"))]),
};

let copies: Promise<RecordedResource[]> | undefined;
/** 3 copies of the fixture prod platform (program/evaluate `replicas`), evaluated once. */
const threeCopies = (): Promise<RecordedResource[]> =>
  (copies ??= evaluateProgram({ stack: "prod", projectDir: FIXTURES, replicas: 3 }).then((evaluated) => evaluated.resources));

describe("pack: each resource's properties converted once, from the request bytes (issue 15)", function () {
  this.timeout(180_000);

  it("converts every Struct of the real program's requests as google-protobuf does (fixture stacks, 3 copies of prod)", async () => {
    const stacks: RecordedResource[][] = [await programStack("staging"), await programStack("prod")];
    stacks.push(await threeCopies());
    let structs = 0;
    for (const resources of stacks) {
      for (const r of resources) {
        for (const properties of [r.inputs, { ...r.inputs, ...r.state }]) {
          const bytes = Struct.fromJavaScript(plain(properties)).serializeBinary();
          const converted = structToJavaScript(bytes);
          expect(converted, r.urn).to.deep.equal(byGoogleProtobuf(bytes));
          expect(Object.keys(converted ?? {}), r.urn).to.deep.equal(Object.keys(byGoogleProtobuf(bytes)));
          structs++;
        }
      }
    }
    expect(structs).to.be.greaterThan(2 * (69 + 70 + 3 * 70));
  });

  for (const [name, bytes] of Object.entries(EDGES)) {
    it(`converts ${name} as google-protobuf does`, () => {
      const converted = structToJavaScript(bytes);
      expect(converted).to.deep.equal(byGoogleProtobuf(bytes));
      expect(Object.keys(converted ?? {})).to.deep.equal(Object.keys(byGoogleProtobuf(bytes)));
    });
  }

  it("leaves every other form to google-protobuf", () => {
    for (const [name, bytes] of Object.entries(NOT_CANONICAL)) {
      expect(structToJavaScript(bytes), name).to.equal(undefined);
    }
  });

  it("installed (in a fresh process): requests decode, convert, serialise and read as with the generated code alone", () => {
    // The expected values come from this process, which has no patch; the other process installs the pack's.
    const cases = { ...EDGES, ...NOT_CANONICAL };
    const expected = Object.fromEntries(
      Object.entries(cases).map(([name, bytes]) => {
        const decoded = Struct.deserializeBinary(bytes);
        let converted: unknown;
        try {
          converted = decoded.toJavaScript();
        } catch (error) {
          converted = `throws ${(error as Error).message}`;
        }
        const request = Buffer.concat([Buffer.from([0x12]), varint(bytes.length), bytes]);
        const parent = analyzer.AnalyzeRequest.deserializeBinary(request);
        return [
          name,
          {
            converted,
            reserialised: Buffer.from(decoded.serializeBinary()).toString("hex"),
            keys: decoded.getFieldsMap().getLength(),
            request: Buffer.from(parent.serializeBinary()).toString("hex"),
            object: parent.toObject(),
          },
        ];
      }),
    );
    // The request's other strings (type = 1, urn = 3, name = 4, options.parent = 5/8), decoded by BinaryReader's
    // readString: valid UTF-8 of every width, and bytes jspb decodes its own way (invalid, a lone continuation byte,
    // an encoded surrogate).
    const strings = Buffer.concat([
      field(1, Buffer.from("docker:index/container:Container 🚀 grüße 日本語", "utf8")),
      field(3, Buffer.from([0x75, 0xff, 0x72, 0x80, 0x6e, 0xed, 0xa0, 0x80])),
      field(4, Buffer.alloc(0)),
      field(5, field(8, Buffer.from("urn:pulumi:prod::myoci::pulumi:pulumi:Stack::myoci-prod", "utf8"))),
    ]);
    const stringsExpected = analyzer.AnalyzeRequest.deserializeBinary(strings).toObject();
    const script = `
      const { convertPropertiesOnce } = require(${JSON.stringify(path.join(ROOT, "policy", "lib", "one-conversion"))});
      const analyzer = require("@pulumi/pulumi/proto/analyzer_pb");
      const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
      convertPropertiesOnce();
      const cases = ${JSON.stringify(Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v.toString("hex")])))};
      const out = {};
      for (const [name, hex] of Object.entries(cases)) {
        // Inside a request, as the server decodes it: AnalyzeRequest.properties is field 2.
        const body = Buffer.from(hex, "hex");
        const request = Buffer.concat([Buffer.from([0x12]), Buffer.from(varint(body.length)), body]);
        const decoded = () => analyzer.AnalyzeRequest.deserializeBinary(request).getProperties();
        let converted;
        try { converted = decoded().toJavaScript(); } catch (error) { converted = "throws " + error.message; }
        out[name] = {
          converted,
          reserialised: Buffer.from(decoded().serializeBinary()).toString("hex"),
          keys: decoded().getFieldsMap().getLength(),
          request: Buffer.from(analyzer.AnalyzeRequest.deserializeBinary(request).serializeBinary()).toString("hex"),
          object: analyzer.AnalyzeRequest.deserializeBinary(request).toObject(),
        };
      }
      function varint(value) { const out = []; while (value >= 0x80) { out.push((value & 0x7f) | 0x80); value = Math.floor(value / 128); } out.push(value); return out; }
      out["request strings"] = analyzer.AnalyzeRequest.deserializeBinary(Buffer.from(${JSON.stringify(strings.toString("hex"))}, "hex")).toObject();
      process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === "number" && !Number.isFinite(v)) || Object.is(v, -0) ? "number " + String(Object.is(v, -0) ? "-0" : v) : v));
    `;
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: ROOT, encoding: "utf8" });
    const tagged = JSON.parse(
      JSON.stringify(expected, (k, v: unknown) =>
        (typeof v === "number" && !Number.isFinite(v)) || Object.is(v, -0) ? `number ${Object.is(v, -0) ? "-0" : String(v)}` : v,
      ),
    );
    expect(JSON.parse(out)).to.deep.equal({ ...tagged, "request strings": JSON.parse(JSON.stringify(stringsExpected)) });
  });

  it("writes AnalyzeResponses byte for byte as the generated code does (diagnostics, not-applicable entries, edges)", () => {
    // The SDK's own response builder (protoutil.makeAnalyzeResponse), as server.js calls it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { makeAnalyzeResponse } = require("@pulumi/policy/protoutil") as {
      makeAnalyzeResponse: (ds: Record<string, unknown>[], notApplicable?: analyzer.PolicyNotApplicable[]) => analyzer.AnalyzeResponse;
    };
    const notApplicable = (name: string, reason?: string) => {
      const entry = new analyzer.PolicyNotApplicable();
      entry.setPolicyName(name);
      if (reason !== undefined) entry.setReason(reason);
      return entry;
    };
    const diagnostic = (i: number) => ({
      policyName: `policy-${i}`,
      policyPackName: "myoci",
      policyPackVersion: "0.2.0",
      description: "d".repeat(i * 40),
      message: `d\nmessage ${i} — ünïcode 🚀`,
      enforcementLevel: i % 2 === 0 ? "mandatory" : "advisory",
      ...(i % 3 === 0 ? { urn: `urn:pulumi:prod::myoci::docker:index/container:Container::c${i}` } : {}),
      ...(i === 2 ? { severity: "high" } : {}),
    });
    const responses = [
      makeAnalyzeResponse([]),
      makeAnalyzeResponse([diagnostic(1)]),
      makeAnalyzeResponse(
        [0, 1, 2, 3].map(diagnostic),
        Array.from({ length: 30 }, (_, i) =>
          notApplicable(`policy-${i}`, i % 5 === 0 ? undefined : `Policy only applies to resources of type 'docker:index/volume:Volume' ${"x".repeat(i * 5)}`),
        ),
      ),
      makeAnalyzeResponse([], [notApplicable(""), notApplicable("", "only a reason"), notApplicable("grüße", "🚀 paired")]),
    ];
    for (const response of responses) {
      expect(hexOf(encodeAnalyzeResponse(response))).to.equal(hexOf(response.serializeBinary()));
    }
    // An unpaired surrogate (jspb and Node encode it differently) is left to the generated code.
    expect(encodeAnalyzeResponse(makeAnalyzeResponse([], [notApplicable("p", "lone \uD800")]))).to.equal(undefined);
    // So is a reason that is no string (a plain JavaScript policy's notApplicable(42)): the generated code skips it.
    const numeric = notApplicable("p");
    (numeric as unknown as { setReason: (r: unknown) => void }).setReason(42);
    expect(encodeAnalyzeResponse(makeAnalyzeResponse([], [numeric]))).to.equal(undefined);
  });

  it("is used only on the library versions it was reviewed against (here: the installed ones); another version gets the SDK's path", () => {
    const installed = installedVersions();
    expect(unreviewed(installed)).to.equal(undefined);
    expect(installed).to.deep.equal({
      policy: REVIEWED["@pulumi/policy"][0],
      protobuf: REVIEWED["google-protobuf"][0],
      analyzeResponseRepeatedFields: [...REVIEWED.analyzeResponseRepeatedFields],
    });
    expect(unreviewed({ ...installed, policy: "1.22.0" })).to.equal("@pulumi/policy 1.22.0 (reviewed: 1.21.0)");
    expect(unreviewed({ ...installed, protobuf: "3.22.0" })).to.equal("google-protobuf 3.22.0 (reviewed: 3.21.4)");
    expect(unreviewed({ ...installed, analyzeResponseRepeatedFields: [2, 3, 4] })).to.equal("AnalyzeResponse's repeated fields [2,3,4] (reviewed: [2,3])");
    expect(unreviewed({ policy: undefined, protobuf: undefined, analyzeResponseRepeatedFields: undefined })).to.match(
      /^@pulumi\/policy \(none\) .*; google-protobuf \(none\) .*; AnalyzeResponse's repeated fields undefined/,
    );
  });

  describe("the served pack, with and without (the SDK's own conversion)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-q15-conversions-"));
    const probe = path.join(__dirname, "probe-conversions.js");
    const servers: Record<"once" | "sdk", PolicyPackServer | undefined> = { once: undefined, sdk: undefined };
    const env = (mode: "once" | "sdk") => ({
      NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} -r ${probe}`.trim(),
      PROBE_OUT: path.join(dir, `${mode}.json`),
      [NOW_ENV]: "2026-11-25T12:00:00Z",
      ...(mode === "sdk" ? { [PROTOBUF_ENV]: "sdk" } : {}),
    });

    /** The shipped pack config, with the record-reading policies pointed at the fixture records. */
    const fixtureConfig = (stack: string): PackConfig => {
      const config = structuredClone(packConfigFor(stack));
      for (const entry of Object.values(config)) {
        for (const key of Object.keys(FIXTURE_RECORDS) as (keyof typeof FIXTURE_RECORDS)[]) {
          if (key in entry.properties) entry.properties[key] = FIXTURE_RECORDS[key];
        }
      }
      return config;
    };

    before(async () => {
      for (const mode of ["once", "sdk"] as const) {
        servers[mode] = await PolicyPackServer.start({ stack: "prod", stackConfig: stackConfigEnv(FIXTURES, "prod"), env: env(mode) });
      }
    });
    after(async () => {
      await Promise.all(Object.values(servers).map((server) => server?.stop() ?? Promise.resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    it("reports the same findings on the fixture stacks, a broken variant and 3 copies of the platform", async () => {
      const prod = await programStack("prod");
      // A broken variant (floating tag, privileged container): findings of many policies, not only passes.
      const broken = replace(
        prod,
        changed(container(prod, "loki"), (inputs) => {
          inputs["privileged"] = true;
          setLabel(inputs, LABEL.version, "latest");
        }),
      );
      const replicas = await threeCopies();
      const runs: [string, readonly RecordedResource[]][] = [
        ["staging", await programStack("staging")],
        ["prod", prod],
        ["prod", broken],
        ["prod", replicas],
      ];
      let findings = 0;
      for (const [stack, resources] of runs) {
        const [once, sdk] = await Promise.all([
          checkWithServer(servers.once!, stack, resources, fixtureConfig(stack)),
          checkWithServer(servers.sdk!, stack, resources, fixtureConfig(stack)),
        ]);
        expect(once.findings).to.deep.equal(sdk.findings);
        findings += once.findings.length;
      }
      expect(findings).to.be.greaterThan(3);
    });

    it("converts each Struct once, builds no message tree and writes responses directly; the SDK's own path converts it once per policy", async () => {
      await Promise.all(Object.values(servers).map((server) => server?.stop() ?? Promise.resolve()));
      const counts = (mode: string) =>
        JSON.parse(readFileSync(path.join(dir, `${mode}.json`), "utf8")) as {
          valuesDecoded: number;
          responsesByGeneratedCode: number;
          deserializeCalls: number;
          structs: number;
          mostConversionsOfOne: number;
        };
      const [once, sdk] = [counts("once"), counts("sdk")];
      // The same requests reached both: the SDK asked for the same deserializations of the same Structs.
      expect(once.deserializeCalls).to.equal(sdk.deserializeCalls);
      expect(once.structs).to.equal(sdk.structs);
      expect(once.deserializeCalls).to.be.greaterThan(4 * once.structs); // per policy, not per Struct
      expect(once.mostConversionsOfOne).to.equal(1);
      expect(once.valuesDecoded).to.equal(0);
      expect(once.responsesByGeneratedCode).to.equal(0);
      // Without: a Struct converted again for every policy, every Value decoded into a message first, every response
      // (one per resource, one per stack) written by jspb's writer.
      expect(sdk.mostConversionsOfOne).to.be.greaterThan(1);
      expect(sdk.valuesDecoded).to.be.greaterThan(10_000);
      expect(sdk.responsesByGeneratedCode).to.be.greaterThan(400);
    });
  });
});
