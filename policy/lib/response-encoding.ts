/**
 * The pack's AnalyzeResponse bytes written directly: the same bytes as the generated
 * `AnalyzeResponse.serializeBinary` (checked in policy/tests/conversion.test.ts), without google-protobuf's
 * BinaryWriter. Every Analyze response carries a PolicyNotApplicable entry for each policy that does not apply
 * (~25 per resource), and jspb's writer keeps each byte as a JavaScript number before copying it out: on 1,008
 * containers, ~190 MB of garbage per run, a large part of the pack's garbage collection.
 *
 * Fields (pulumi/proto/pulumi/analyzer.proto, as compiled into @pulumi/pulumi/proto/analyzer_pb.js): AnalyzeResponse
 * diagnostics = 2 (each written by the generated AnalyzeDiagnostic.serializeBinary), not_applicable = 3;
 * PolicyNotApplicable policy_name = 1, reason = 2, each left out when empty, as the generated code does. A string
 * with an unpaired surrogate (which jspb and Node encode differently) leaves the message to the generated code.
 */
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { varintSize } from "./protobuf-wire";

/** A surrogate code unit without its pair (a well-formed string is written alike by jspb and Node). */
const SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The bytes of an AnalyzeResponse as the generated code writes them; undefined to leave it to the generated code. */
export function encodeAnalyzeResponse(response: analyzer.AnalyzeResponse): Uint8Array | undefined {
  const diagnostics = response.getDiagnosticsList().map((d) => d.serializeBinary());
  const entries: { name: string; nameBytes: number; reason: string; reasonBytes: number; body: number }[] = [];
  let size = 0;
  for (const body of diagnostics) size += 1 + varintSize(body.length) + body.length;
  for (const entry of response.getNotApplicableList()) {
    const name = entry.getPolicyName();
    const reason = entry.getReason();
    // Left to the generated code: a non-string (from plain JavaScript policies) or an unpaired surrogate.
    if (typeof name !== "string" || typeof reason !== "string" || SURROGATE.test(name) || SURROGATE.test(reason)) {
      return undefined;
    }
    const nameBytes = Buffer.byteLength(name);
    const reasonBytes = Buffer.byteLength(reason);
    const body = (nameBytes > 0 ? 1 + varintSize(nameBytes) + nameBytes : 0) + (reasonBytes > 0 ? 1 + varintSize(reasonBytes) + reasonBytes : 0);
    entries.push({ name, nameBytes, reason, reasonBytes, body });
    size += 1 + varintSize(body) + body;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  const varint = (value: number): void => {
    while (value >= 0x80) {
      out[pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[pos++] = value;
  };
  const text = (tag: number, value: string, bytes: number): void => {
    if (bytes > 0) {
      out[pos++] = tag;
      varint(bytes);
      pos += out.write(value, pos, bytes, "utf8");
    }
  };
  for (const body of diagnostics) {
    out[pos++] = 0x12; // diagnostics = 2, length-delimited
    varint(body.length);
    out.set(body, pos);
    pos += body.length;
  }
  for (const entry of entries) {
    out[pos++] = 0x1a; // not_applicable = 3, length-delimited
    varint(entry.body);
    text(0x0a, entry.name, entry.nameBytes); // policy_name = 1
    text(0x12, entry.reason, entry.reasonBytes); // reason = 2
  }
  return out;
}

let installed = false;

/**
 * Makes `AnalyzeResponse.prototype.serializeBinary` (what the generated service's response serializer calls on
 * every response) write through encodeAnalyzeResponse (idempotent).
 */
export function encodeResponsesDirectly(): void {
  if (installed) {
    return;
  }
  const prototype = analyzer.AnalyzeResponse.prototype;
  const generated: unknown = Reflect.get(prototype, "serializeBinary");
  if (typeof generated !== "function") {
    throw new Error("@pulumi/pulumi's AnalyzeResponse has no serializeBinary: the generated code changed (see policy/lib/response-encoding.ts)");
  }
  Object.defineProperty(prototype, "serializeBinary", {
    configurable: true,
    writable: true,
    value: function (this: analyzer.AnalyzeResponse): unknown {
      return encodeAnalyzeResponse(this) ?? Reflect.apply(generated, this, []);
    },
  });
  installed = true;
}
