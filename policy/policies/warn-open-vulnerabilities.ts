import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CATALOG, type RiskAcceptance } from "../../catalog";
import { forType, requireType } from "../lib/applies";
import { displayName, TYPES, plainProps } from "../lib/resources";
import { NOW_PROPERTY, policyNow, settingsOf } from "../lib/settings";
import { affectingAdvisories } from "../lib/vulnerabilities";

interface Settings {
  now: string;
}

const configSchema = { properties: { now: NOW_PROPERTY } } as const;

/**
 * Advisory half of the vulnerability rule: an affecting advisory before its response deadline.
 * (The SDK reports one enforcement level per policy, so the overdue half is disallow-overdue-vulnerabilities.)
 */
export const warnOpenVulnerabilities: ResourceValidationPolicy = {
  name: "warn-open-vulnerabilities",
  description: "No container runs a version affected by a catalog advisory; before the advisory's response deadline this is a warning.",
  enforcementLevel: "advisory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const now = policyNow(settingsOf<Settings>(args, configSchema).now);
    // Acceptances only waive the deadline: before it every affecting advisory is shown.
    const none: RiskAcceptance[] = [];
    for (const { advisory, state, version } of affectingAdvisories(props, now, none)) {
      if (state.state !== "open") {
        continue;
      }
      const due = state.deadline === null ? "no response deadline" : `respond by ${state.deadline.toISOString()}`;
      reportViolation(
        `${displayName(props, args.name)} runs ${CATALOG[advisory.component].title} ${version}, affected by ${advisory.id} (${advisory.severity}): ${advisory.summary} Fixed in ${advisory.affected.fixed.join(", ")}; ${due}.`,
      );
    }
  }),
};
