import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, requireType } from "../lib/applies";
import { displayName, recordOf, TYPES, plainProps } from "../lib/resources";

export const requireHealthcheck: ResourceValidationPolicy = {
  name: "require-healthcheck",
  description: "Every container has a healthcheck test and waits for it, so a rollout fails when the service never turns healthy.",
  enforcementLevel: "mandatory",
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const name = displayName(props, args.name);
    const tests = recordOf(props["healthcheck"])["tests"];
    if (!Array.isArray(tests) || tests.length === 0) {
      reportViolation(`${name} has no healthcheck: set healthcheck.tests (the catalog's health test for its component).`);
      return;
    }
    if (tests[0] === "NONE") {
      reportViolation(`${name} disables its healthcheck (tests = ["NONE"]).`);
      return;
    }
    if (props["wait"] !== true) {
      reportViolation(
        `${name} does not wait for its healthcheck (wait = ${JSON.stringify(props["wait"] ?? null)}): set wait = true so a rollout fails on an unhealthy container.`,
      );
    }
  }),
};
