// Preloaded into a served pack by policy/tests/conversion.test.ts (NODE_OPTIONS -r): counts, in the pack process,
// the google.protobuf.Value messages google-protobuf decodes, the AnalyzeResponses the generated code writes, and per
// argument of the SDK's deserializeProperties
// (a Struct, or the pack's once-converted view of one) the distinct objects its conversion returned. Installed
// before the pack loads, so the pack's own deserializeProperties wraps this one. Written to PROBE_OUT when the
// pack is stopped (SIGTERM, as the runner and the Pulumi CLI stop it).
"use strict";
const { writeFileSync } = require("node:fs");
const { Value } = require("google-protobuf/google/protobuf/struct_pb");
const deserialize = require("@pulumi/policy/deserialize");
const { AnalyzeResponse } = require("@pulumi/pulumi/proto/analyzer_pb");

const counts = { valuesDecoded: 0, responsesByGeneratedCode: 0, deserializeCalls: 0, structs: 0, mostConversionsOfOne: 0 };
const writeResponse = AnalyzeResponse.serializeBinaryToWriter;
AnalyzeResponse.serializeBinaryToWriter = (...args) => {
  counts.responsesByGeneratedCode++;
  return writeResponse(...args);
};
const decodeValue = Value.deserializeBinaryFromReader;
Value.deserializeBinaryFromReader = (...args) => {
  counts.valuesDecoded++;
  return decodeValue(...args);
};
const conversions = new Map();
const deserializeProperties = deserialize.deserializeProperties;
deserialize.deserializeProperties = (struct, proxySecrets) => {
  counts.deserializeCalls++;
  let results = conversions.get(struct);
  if (results === undefined) conversions.set(struct, (results = new Set()));
  const counted = {
    toJavaScript: () => {
      const converted = struct.toJavaScript();
      results.add(converted);
      return converted;
    },
  };
  return deserializeProperties(counted, proxySecrets);
};
process.on("SIGTERM", () => {
  counts.structs = conversions.size;
  for (const results of conversions.values()) counts.mostConversionsOfOne = Math.max(counts.mostConversionsOfOne, results.size);
  writeFileSync(process.env.PROBE_OUT, JSON.stringify(counts));
  process.exit(0);
});
