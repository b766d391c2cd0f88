import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType } from "../lib/applies";
import { containerInput } from "../lib/container-input";
import { allowedProperty, exceptionsOf, KEEP_DEFAULTS_PROPERTY } from "../lib/exceptions";
import { hostBinds, isSameOrParent, normaliseHostPath } from "../lib/mounts";
import { displayName, TYPES } from "../lib/resources";
import { policySchema } from "../lib/settings";

const configSchema = policySchema({
  properties: {
    sensitivePaths: {
      type: "array",
      items: { type: "string" },
      description: "Host paths that are the host itself: no container binds them, anything below them or any parent of them (such as /) read-write.",
      default: ["/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run", "/var/lib/docker", "/usr", "/bin", "/sbin", "/lib"],
    },
    allowed: allowedProperty("Read-write host binds a component needs, by host path, each with the reason.", { hostPath: { type: "string", minLength: 1 } }, [
      "hostPath",
    ]),
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

export const disallowWritableHostMounts: ResourceValidationPolicy = {
  name: "disallow-writable-host-mounts",
  description:
    "No container binds a host system path (/, /etc, /proc, /sys, /run, /var/lib/docker, …, a path below one or a parent of one) read-write, in volumes or in mounts of type bind, unless allowlisted with a reason.",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    const { props, settings, component } = containerInput(args, configSchema);
    const sensitive = settings.sensitivePaths.map(normaliseHostPath);
    const allowed = exceptionsOf([], settings).filter((e) => e.component === component);
    for (const bind of hostBinds(props)) {
      if (bind.readOnly || allowed.some((a) => normaliseHostPath(a.hostPath) === bind.hostPath)) {
        continue;
      }
      const hit = sensitive.find((s) => isSameOrParent(s, bind.hostPath) || isSameOrParent(bind.hostPath, s));
      if (hit !== undefined) {
        reportViolation(
          `${displayName(props, args.name)} binds the host path ${bind.hostPath} read-write (${bind.property} → ${bind.containerPath}), ${bind.hostPath === hit ? "a host system path" : isSameOrParent(hit, bind.hostPath) ? `inside ${hit}` : `which contains ${hit}`}: mount it read-only or use a named volume.`,
        );
      }
    }
  }),
};
