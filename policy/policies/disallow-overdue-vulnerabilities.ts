import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_ACCEPTANCE_FILE } from "../../config/risk-acceptances";
import { CATALOG } from "../../catalog";
import { forType, requireType } from "../lib/applies";
import { displayName, TYPES, plainProps } from "../lib/resources";
import { acceptancesAt, vulnStateAt } from "../lib/records";
import { NOW_PROPERTY, policyNow, policySchema, settingsOf } from "../lib/settings";
import { ACCEPTANCES_PROPERTY, affectingAdvisories, STATE_FILE_PROPERTY } from "../lib/vulnerabilities";

const configSchema = policySchema({
  properties: {
    now: NOW_PROPERTY,
    acceptances: ACCEPTANCES_PROPERTY,
    acceptanceFile: {
      type: "string",
      description:
        "The committed risk-acceptance file that `myoci vulns` reads too (relative to the repository root; a missing file accepts nothing). Its entries count with the inline acceptances.",
      default: DEFAULT_ACCEPTANCE_FILE,
    },
    stateFile: STATE_FILE_PROPERTY,
  },
});

/** Mandatory half of the vulnerability rule: past the deadline (critical 24 h, high 7 d, medium 30 d from first record). */
export const disallowOverdueVulnerabilities: ResourceValidationPolicy = {
  name: "disallow-overdue-vulnerabilities",
  description:
    "No container runs a version affected by a catalog advisory or a finding of the committed OSV snapshot past its response deadline, unless the risk is accepted (policy config or the committed risk-acceptance file) until a future date.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const settings = settingsOf(args, configSchema);
    const now = policyNow(settings.now);
    const acceptances = [...settings.acceptances, ...acceptancesAt(settings.acceptanceFile)];
    for (const { advisory, state, version } of affectingAdvisories(props, now, acceptances, vulnStateAt(settings.stateFile))) {
      if (state.state !== "overdue") {
        continue;
      }
      const expired = state.expiredAcceptance
        ? ` The risk acceptance of ${advisory.id} ("${state.expiredAcceptance.reason}") expired on ${state.expiredAcceptance.expires}.`
        : "";
      reportViolation(
        `${displayName(props, args.name)} runs ${CATALOG[advisory.component].title} ${version}, affected by ${advisory.id} (${advisory.severity}), overdue since ${state.deadline.toISOString()}: update to a fixed version (${advisory.affected.fixed.join(", ")}) or accept the risk with a reason and an expiry.${expired}`,
      );
    }
  }),
};
