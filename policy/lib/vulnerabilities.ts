/** The advisories affecting a container's pinned version (catalog + the committed OSV snapshot), with their state at `now`. */
import {
  advisoriesFor,
  advisoryState,
  CATALOG,
  fixedAbove,
  knownAffects,
  LABEL,
  packageVersion,
  parseTag,
  versionAsTag,
  type Advisory,
  type AdvisoryState,
  type RiskAcceptance,
} from "../../catalog";
import { DEFAULT_STATE_FILE, type VulnState } from "../../config/vulns-state";
import { componentOf, labelsOf, type Props } from "./resources";
import { schemaPart } from "./settings";

export { DEFAULT_STATE_FILE };

export interface AffectingAdvisory {
  readonly advisory: Advisory;
  readonly state: AdvisoryState;
  readonly version: string;
}

export function affectingAdvisories(
  props: Props,
  now: Date,
  acceptances: readonly RiskAcceptance[],
  state: VulnState = { firstSeen: {} },
): AffectingAdvisory[] {
  const component = componentOf(props);
  const version = labelsOf(props)[LABEL.version];
  if (component === undefined || version === undefined) {
    return [];
  }
  const parsed = parseTag(version, CATALOG[component].tagScheme);
  if (!parsed.ok) {
    return []; // a tag outside the scheme is enforce-canonical-repository's finding
  }
  const catalog = advisoriesFor(component, parsed.tag);
  const snapshot: Advisory[] = [];
  for (const vuln of state.osv?.vulnerabilities ?? []) {
    if (vuln.component !== component || !knownAffects(vuln, parsed.tag)) continue;
    if (catalog.some((a) => a.id === vuln.id || vuln.aliases.includes(a.id))) continue; // the catalog's finding
    const fix = fixedAbove(vuln.ranges, vuln.packageVersion ?? packageVersion(parsed.tag));
    snapshot.push({
      id: vuln.id,
      component,
      severity: vuln.severity,
      summary: vuln.summary.endsWith(".") ? vuln.summary : `${vuln.summary}.`,
      affected: { fixed: fix !== undefined ? [versionAsTag(fix)] : ["no fix known"] },
      // Deadlines count from the project's first sighting, as `myoci vulns` records it.
      firstRecorded: state.firstSeen[`${component}:${vuln.id}`] ?? state.osv!.refreshedAt,
      url: vuln.url,
      source: `OSV snapshot of ${state.osv!.refreshedAt}`,
    });
  }
  return [...catalog, ...snapshot].map((advisory) => ({ advisory, state: advisoryState(advisory, now, acceptances), version }));
}

export const STATE_FILE_PROPERTY = schemaPart({
  type: "string",
  description: "The committed vulns-state.json (first sightings + the OSV snapshot of `npx myoci vulns --refresh`), relative to the repository root.",
  default: DEFAULT_STATE_FILE,
});

export const ACCEPTANCES_PROPERTY = schemaPart({
  type: "array",
  description:
    "Accepted risks: advisory id, why, and the ISO date the acceptance lapses (UTC). An expired acceptance no longer counts and is named in the violation.",
  items: {
    type: "object",
    properties: {
      id: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 1 },
      expires: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}" },
    },
    required: ["id", "reason", "expires"],
  },
  default: [],
});
