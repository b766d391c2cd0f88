/**
 * The runner's request encoder (policy/offline/wire.ts) against the generated code it replaces: for every resource
 * of the real program, and for values at the edges of JSON, the bytes equal what analyzer_pb and
 * google-protobuf's Struct.fromJavaScript write — and the pack's own decoder reads them back to the same values.
 */
import { expect } from "chai";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { decodeAnalyzeDiagnostics, encodeAnalyzeRequest, encodeAnalyzeStackRequest, analyzeMessage, stackMessage } from "../offline/wire";
import type { RecordedResource } from "../offline/types";
import { programStack } from "./helpers";

import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";

const plain = (value: Record<string, unknown>): Record<string, JavaScriptValue> => JSON.parse(JSON.stringify(value)) as Record<string, JavaScriptValue>;

/** The former runner code: jspb messages, then serializeBinary. */
function generatedAnalyze(r: RecordedResource): Uint8Array {
  const request = new analyzer.AnalyzeRequest();
  request.setType(r.type);
  request.setName(r.name);
  request.setUrn(r.urn);
  request.setProperties(Struct.fromJavaScript(plain(r.inputs)));
  const options = new analyzer.AnalyzerResourceOptions();
  options.setProtect(r.opts.protect === true);
  if (r.opts.parent !== undefined) options.setParent(r.opts.parent);
  request.setOptions(options);
  return request.serializeBinary();
}

function generatedStack(resources: readonly RecordedResource[]): Uint8Array {
  const stack = new analyzer.AnalyzeStackRequest();
  stack.setResourcesList(
    resources.map((r) => {
      const resource = new analyzer.AnalyzerResource();
      resource.setType(r.type);
      resource.setName(r.name);
      resource.setUrn(r.urn);
      resource.setProperties(Struct.fromJavaScript(plain({ ...r.inputs, ...r.state })));
      const options = new analyzer.AnalyzerResourceOptions();
      options.setProtect(r.opts.protect === true);
      if (r.opts.parent !== undefined) options.setParent(r.opts.parent);
      resource.setOptions(options);
      if (r.opts.parent !== undefined) resource.setParent(r.opts.parent);
      resource.setDependenciesList(r.opts.dependsOn ?? []);
      const dependencies = resource.getPropertydependenciesMap();
      for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
        const list = new analyzer.AnalyzerPropertyDependencies();
        list.setUrnsList(urns);
        dependencies.set(key, list);
      }
      return resource;
    }),
  );
  return stack.serializeBinary();
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

const edge: RecordedResource = {
  type: "test:index/edge:Edge",
  name: "edge",
  urn: "urn:pulumi:test::myoci::test:index/edge:Edge::edge",
  inputs: {
    empty: "",
    unicode: "grüße — 🚀",
    long: "x".repeat(300),
    numbers: [0, -1, 1.5, 2 ** 40, -0, Number.NaN, Number.POSITIVE_INFINITY],
    flags: [true, false, null],
    nested: { z: 1, a: { b: [[], {}] }, "": "empty key", m: undefined },
    holes: [undefined, () => 1],
    when: new Date("2026-12-01T00:00:00Z"),
    dates: [new Date(0)],
    skipped: undefined,
  },
  state: { id: "edge-id" },
  opts: { protect: true, parent: "urn:pulumi:test::myoci::pulumi:pulumi:Stack::myoci-test", dependsOn: ["urn:a", "urn:b"] },
  custom: true,
  propertyDependencies: { nested: ["urn:a"], empty: [], another: ["urn:b", "urn:a"] },
};

describe("policy runner: request encoding (wire.ts)", () => {
  it("writes every AnalyzeRequest of the real program byte for byte as analyzer_pb does", async () => {
    const resources = await programStack("prod");
    for (const r of resources) {
      expect(hex(encodeAnalyzeRequest(analyzeMessage(r))), r.urn).to.equal(hex(generatedAnalyze(r)));
    }
  });

  it("writes the real program's AnalyzeStackRequest byte for byte as analyzer_pb does", async () => {
    const resources = await programStack("staging");
    expect(hex(encodeAnalyzeStackRequest(resources.map(stackMessage)))).to.equal(hex(generatedStack(resources)));
  });

  it("follows JSON's rules at the edges (empty, unicode, non-finite, undefined, nested) as the JSON round trip did", () => {
    expect(hex(encodeAnalyzeRequest(analyzeMessage(edge)))).to.equal(hex(generatedAnalyze(edge)));
    expect(hex(encodeAnalyzeStackRequest([stackMessage(edge)]))).to.equal(hex(generatedStack([edge])));
  });

  it("decodes, with the pack's generated code, to the values sent", () => {
    const decoded = analyzer.AnalyzeStackRequest.deserializeBinary(encodeAnalyzeStackRequest([stackMessage(edge)])).getResourcesList()[0]!;
    expect(decoded.getProperties()!.toJavaScript()).to.deep.equal(plain({ ...edge.inputs, ...edge.state }));
    expect(decoded.getOptions()!.getProtect()).to.equal(true);
    expect(decoded.getDependenciesList()).to.deep.equal(["urn:a", "urn:b"]);
    expect(decoded.getPropertydependenciesMap().get("another")!.getUrnsList()).to.deep.equal(["urn:b", "urn:a"]);
  });

  it("reads a response's diagnostics as the generated AnalyzeResponse does, skipping the not-applicable entries", () => {
    const response = new analyzer.AnalyzeResponse();
    ["require-memory-limit", "disallow-public-ports"].forEach((policy, i) => {
      const d = new analyzer.AnalyzeDiagnostic();
      d.setPolicyname(policy);
      d.setPolicypackname("myoci");
      d.setPolicypackversion("0.2.0");
      d.setDescription(`${policy} description`);
      d.setMessage(`${policy} description\nmessage ${i} — ünïcode`);
      d.setEnforcementlevel(i === 0 ? analyzer.EnforcementLevel.MANDATORY : analyzer.EnforcementLevel.ADVISORY);
      d.setUrn(i === 0 ? "urn:pulumi:prod::myoci::docker:index/container:Container::loki" : "");
      response.addDiagnostics(d);
      for (let n = 0; n < 3; n++) {
        const na = new analyzer.PolicyNotApplicable();
        na.setPolicyName(`other-${i}-${n}`);
        na.setReason("Policy only applies to resources of type 'docker:index/volume:Volume'");
        response.addNotApplicable(na);
      }
    });
    const bytes = response.serializeBinary();
    const generated = analyzer.AnalyzeResponse.deserializeBinary(bytes).getDiagnosticsList();
    expect(decodeAnalyzeDiagnostics(bytes).map((d) => d.toObject())).to.deep.equal(generated.map((d) => d.toObject()));
    expect(decodeAnalyzeDiagnostics(new analyzer.AnalyzeResponse().serializeBinary())).to.deep.equal([]);
  });
});
