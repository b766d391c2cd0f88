import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType } from "../lib/applies";
import { containerInput } from "../lib/container-input";
import { allowedProperty, exceptionsOf, KEEP_DEFAULTS_PROPERTY, NETDATA_DOCS } from "../lib/exceptions";
import { displayName, TYPES } from "../lib/resources";
import { policySchema } from "../lib/settings";

interface OptionException {
  component: string;
  option: string;
  reason: string;
}

/** `apparmor=unconfined` and `apparmor:unconfined` are one option (Docker accepts both separators). */
const canonical = (option: string): string =>
  option
    .trim()
    .toLowerCase()
    .replace(/^([a-z-]+)\s*[:=]\s*/, "$1=");

/** Options that switch off a confinement layer. */
const UNCONFINED = /^(seccomp=unconfined|apparmor=unconfined|label=disable|systempaths=unconfined|no-new-privileges=false)$/;

export const SECURITY_EXCEPTIONS: readonly OptionException[] = [
  {
    component: "netdata",
    option: "apparmor=unconfined",
    reason: `Netdata's documented container runs with --security-opt apparmor=unconfined (${NETDATA_DOCS}).`,
  },
];

const configSchema = policySchema({
  properties: {
    allowed: allowedProperty("Unconfined security options a component may set, each with the reason.", { option: { type: "string", minLength: 1 } }, [
      "option",
    ]),
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

export const disallowUnconfinedSecurity: ResourceValidationPolicy = {
  name: "disallow-unconfined-security",
  description:
    "No container switches off seccomp, AppArmor or SELinux confinement (securityOpts seccomp/apparmor unconfined, label disable, systempaths unconfined) unless allowlisted with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    const { props, settings, component } = containerInput(args, configSchema);
    const allowed = exceptionsOf(SECURITY_EXCEPTIONS, settings)
      .filter((a) => a.component === component)
      .map((a) => canonical(a.option));
    const options: unknown = props["securityOpts"];
    for (const option of Array.isArray(options) ? options : []) {
      const normal = canonical(String(option));
      if (UNCONFINED.test(normal) && !allowed.includes(normal)) {
        reportViolation(
          `${displayName(props, args.name)} sets securityOpts "${String(option)}": it runs without that confinement. Remove it, or allowlist it with a reason.`,
        );
      }
    }
  }),
};
