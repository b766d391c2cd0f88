import type { ResourceValidationPolicy } from "@pulumi/policy";
import { snapshotAgeDays } from "../../config/vulns-state";
import { CATALOG, hasPackages, PACKAGES, type RiskAcceptance } from "../../catalog";
import { forType, requireType } from "../lib/applies";
import { componentOf, displayName, TYPES, plainProps } from "../lib/resources";
import { NOW_PROPERTY, policyNow, policySchema, settingsOf } from "../lib/settings";
import { affectingAdvisories, STATE_FILE_PROPERTY } from "../lib/vulnerabilities";
import { vulnStateAt } from "../lib/records";

const configSchema = policySchema({
  properties: {
    now: NOW_PROPERTY,
    stateFile: STATE_FILE_PROPERTY,
    snapshotMaxAgeDays: {
      type: "number",
      minimum: 0,
      description: "The OSV snapshot (`npx myoci vulns --refresh`) older than this many days is itself a finding on every container with an OSV package.",
      default: 7,
    },
  },
});

/**
 * Advisory half of the vulnerability rule: an affecting advisory before its response deadline.
 * (The SDK reports one enforcement level per policy, so the overdue half is disallow-overdue-vulnerabilities.)
 */
export const warnOpenVulnerabilities: ResourceValidationPolicy = {
  name: "warn-open-vulnerabilities",
  description:
    "No container runs a version affected by a catalog advisory or an OSV snapshot finding, and the snapshot is fresh; before the advisory's response deadline this is a warning.",
  enforcementLevel: "advisory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const settings = settingsOf(args, configSchema);
    const now = policyNow(settings.now);
    const vulnState = vulnStateAt(settings.stateFile);
    const component = componentOf(props);
    const age = snapshotAgeDays(vulnState, now);
    if (component !== undefined && hasPackages(PACKAGES[component]) && age !== undefined && age > settings.snapshotMaxAgeDays) {
      reportViolation(
        `${displayName(props, args.name)}: the OSV snapshot in ${settings.stateFile} is ${Math.floor(age)} days old (refreshed ${vulnState.osv!.refreshedAt}, limit ${settings.snapshotMaxAgeDays}): its findings may be out of date; run npx myoci vulns --refresh and commit the file.`,
      );
    }
    // Acceptances only waive the deadline: before it every affecting advisory is shown.
    const none: RiskAcceptance[] = [];
    for (const { advisory, state, version } of affectingAdvisories(props, now, none, vulnState)) {
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
