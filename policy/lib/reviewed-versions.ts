/**
 * The library versions the pack's protobuf fast path (one-conversion.ts, response-encoding.ts) was read and tested
 * against. Its safety rests on their internals — @pulumi/policy's deserializeProperty copying every object and array
 * (so one conversion can serve every policy), google-protobuf's decoding, and AnalyzeResponse having exactly the
 * fields the direct encoder writes — so another version gets the SDK's own path and a warning, never a silent change.
 * After an upgrade: read those internals again, run policy/tests/conversion.test.ts, then add the version here.
 */
export const REVIEWED = {
  "@pulumi/policy": ["1.21.0"],
  "google-protobuf": ["3.21.4"],
  /** The repeated fields of pulumirpc.AnalyzeResponse (diagnostics, not_applicable) in @pulumi/pulumi's proto. */
  analyzeResponseRepeatedFields: [2, 3],
} as const;

export interface InstalledVersions {
  readonly policy: string | undefined;
  readonly protobuf: string | undefined;
  readonly analyzeResponseRepeatedFields: readonly number[] | undefined;
}

/** Why the fast path must stay off for these versions, or undefined when they are the reviewed ones. */
export function unreviewed(installed: InstalledVersions): string | undefined {
  const problems: string[] = [];
  if (!(REVIEWED["@pulumi/policy"] as readonly (string | undefined)[]).includes(installed.policy)) {
    problems.push(`@pulumi/policy ${installed.policy ?? "(none)"} (reviewed: ${REVIEWED["@pulumi/policy"].join(", ")})`);
  }
  if (!(REVIEWED["google-protobuf"] as readonly (string | undefined)[]).includes(installed.protobuf)) {
    problems.push(`google-protobuf ${installed.protobuf ?? "(none)"} (reviewed: ${REVIEWED["google-protobuf"].join(", ")})`);
  }
  if (JSON.stringify(installed.analyzeResponseRepeatedFields) !== JSON.stringify(REVIEWED.analyzeResponseRepeatedFields)) {
    problems.push(`AnalyzeResponse's repeated fields ${JSON.stringify(installed.analyzeResponseRepeatedFields)} (reviewed: [2,3])`);
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/** The versions installed beside the pack (read from their package.json files and the generated proto). */
export function installedVersions(): InstalledVersions {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const version = (pkg: string): string | undefined => {
    try {
      // @pulumi/policy's package.json says "v1.21.0"; the version without the "v" is what npm installed.
      return (require(`${pkg}/package.json`) as { version?: string }).version?.replace(/^v/, "");
    } catch {
      return undefined;
    }
  };
  let repeated: readonly number[] | undefined;
  try {
    const analyzer = require("@pulumi/pulumi/proto/analyzer_pb") as { AnalyzeResponse?: { repeatedFields_?: number[] } };
    repeated = analyzer.AnalyzeResponse?.repeatedFields_;
  } catch {
    repeated = undefined;
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { policy: version("@pulumi/policy"), protobuf: version("google-protobuf"), analyzeResponseRepeatedFields: repeated };
}
