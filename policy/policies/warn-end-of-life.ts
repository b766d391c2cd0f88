import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CATALOG, endOfLifeState } from "../../catalog";
import { forType, requireType } from "../lib/applies";
import { componentOf, displayName, TYPES, plainProps } from "../lib/resources";
import { NOW_PROPERTY, policyNow, policySchema, settingsOf } from "../lib/settings";

const configSchema = policySchema({ properties: { now: NOW_PROPERTY } });

export const warnEndOfLife: ResourceValidationPolicy = {
  name: "warn-end-of-life",
  description: "No container runs a component past its end-of-life date; the finding names the successor to migrate to.",
  enforcementLevel: "advisory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const component = componentOf(props);
    if (component === undefined || CATALOG[component].endOfLife === undefined) {
      return;
    }
    const endOfLife = endOfLifeState(component, policyNow(settingsOf(args, configSchema).now));
    if (endOfLife?.reached === true) {
      const successor = endOfLife.successor === undefined ? "" : ` Successor: ${CATALOG[endOfLife.successor].title} (${endOfLife.successor}).`;
      reportViolation(`${displayName(props, args.name)} runs ${CATALOG[component].title}, end of life since ${endOfLife.date}.${successor} ${endOfLife.note}`);
    }
  }),
};
