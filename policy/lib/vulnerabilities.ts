/** The advisories affecting a container's pinned version, with their state at `now`. */
import { advisoriesFor, advisoryState, CATALOG, parseTag, type Advisory, type AdvisoryState, type RiskAcceptance } from "../../catalog";
import { componentOf, LABEL, labelsOf, type Props } from "./resources";

export interface AffectingAdvisory {
  readonly advisory: Advisory;
  readonly state: AdvisoryState;
  readonly version: string;
}

export function affectingAdvisories(props: Props, now: Date, acceptances: readonly RiskAcceptance[]): AffectingAdvisory[] {
  const component = componentOf(props);
  const version = labelsOf(props)[LABEL.version];
  if (component === undefined || version === undefined) {
    return [];
  }
  const parsed = parseTag(version, CATALOG[component].tagScheme);
  if (!parsed.ok) {
    return []; // a tag outside the scheme is enforce-canonical-repository's finding
  }
  return advisoriesFor(component, parsed.tag).map((advisory) => ({ advisory, state: advisoryState(advisory, now, acceptances), version }));
}

export const ACCEPTANCES_PROPERTY = {
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
} as const;
