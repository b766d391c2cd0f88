/**
 * Trivy JSON reports (`trivy image --format json`): only the fields myOCI reads, validated with zod.
 * Each report is joined to a pinned component through the image's repo digest (Metadata.RepoDigests, or an
 * `@sha256:` in ArtifactName): the pin's digest is the only identity that cannot drift from what runs.
 */
import { z } from "zod";
import { ConfigError, issuesFromZod } from "../../../config/schema";
import { digestOfRepoDigest, type Severity } from "../../../catalog";

const vulnerabilitySchema = z.looseObject({
  VulnerabilityID: z.string({ error: "expected the vulnerability id (e.g. CVE-2024-1234)" }).min(1),
  PkgName: z.string({ error: "expected the package name" }).min(1),
  InstalledVersion: z.string({ error: "expected the installed version" }),
  FixedVersion: z.string().optional(),
  Severity: z.enum(["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"], { error: "expected CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN" }),
  Title: z.string().optional(),
  PrimaryURL: z.string().optional(),
});

const reportSchema = z.looseObject({
  ArtifactName: z.string({ error: "expected the scanned image reference" }),
  Metadata: z.looseObject({ RepoDigests: z.array(z.string()).optional() }).optional(),
  Results: z.array(z.looseObject({ Target: z.string().optional(), Vulnerabilities: z.array(vulnerabilitySchema).nullish() })).optional(),
});

export interface TrivyVulnerability {
  readonly id: string;
  readonly pkg: string;
  readonly installed: string;
  readonly fixed?: string;
  readonly severity: Severity;
  readonly title?: string;
  readonly url?: string;
}

export interface TrivyReport {
  readonly file: string;
  readonly artifact: string;
  /** sha256 digests the scanned image is known by. */
  readonly digests: readonly string[];
  readonly vulnerabilities: readonly TrivyVulnerability[];
}

const SEVERITY: Record<z.infer<typeof vulnerabilitySchema>["Severity"], Severity> = {
  CRITICAL: "critical",
  HIGH: "high",
  MEDIUM: "medium",
  LOW: "low",
  UNKNOWN: "unrated",
};

/** Parses one report's text; throws ConfigError naming the file, the key path and the value. */
export function parseTrivyReport(text: string, file: string): TrivyReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      [{ file, key: "(root)", value: "(invalid JSON)", expected: `a Trivy JSON report (${(error as Error).message})` }],
      "Trivy JSON report",
    );
  }
  const parsed = reportSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(issuesFromZod(parsed.error, file, raw), "Trivy JSON report");
  }
  const report = parsed.data;
  const digests = new Set<string>();
  for (const repoDigest of [...(report.Metadata?.RepoDigests ?? []), report.ArtifactName]) {
    const digest = digestOfRepoDigest(repoDigest);
    if (digest !== undefined) {
      digests.add(digest);
    }
  }
  const vulnerabilities: TrivyVulnerability[] = [];
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      vulnerabilities.push({
        id: v.VulnerabilityID,
        pkg: v.PkgName,
        installed: v.InstalledVersion,
        fixed: v.FixedVersion === undefined || v.FixedVersion === "" ? undefined : v.FixedVersion,
        severity: SEVERITY[v.Severity],
        title: v.Title,
        url: v.PrimaryURL,
      });
    }
  }
  return { file, artifact: report.ArtifactName, digests: [...digests].sort(), vulnerabilities };
}
