import type { StackValidationPolicy } from "@pulumi/policy";
import { arrayOf, isUnknown, scalarText } from "../lib/resources";
import { propsOf, type StackResource } from "../lib/stack";

const NETWORK = "docker:index/network:Network";
const CONTAINER = "docker:index/container:Container";

/**
 * Docker does not publish the ports of a container whose only networks are `internal: true` ones
 * (moby/moby#36174): the port mapping is accepted and silently dead. A published port needs a non-internal network.
 */
export const disallowPortsWithoutExternalNetwork: StackValidationPolicy = {
  name: "disallow-ports-without-external-network",
  description:
    "A container that publishes ports is attached to at least one non-internal network: Docker never publishes ports of a container on internal networks only (moby/moby#36174).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const resources = args.resources as readonly StackResource[];
    const internalByName = new Map<string, boolean>();
    const internalByUrn = new Map<string, boolean>();
    for (const r of resources.filter((x) => x.type === NETWORK)) {
      const props = propsOf(r);
      const internal = props["internal"] === true;
      internalByUrn.set(r.urn, internal);
      if (typeof props["name"] === "string" && !isUnknown(props["name"])) internalByName.set(props["name"], internal);
    }
    for (const r of resources.filter((x) => x.type === CONTAINER)) {
      const props = propsOf(r);
      const ports = arrayOf(props["ports"]);
      if (ports.length === 0 || (typeof props["networkMode"] === "string" && props["networkMode"] !== "" && props["networkMode"] !== "bridge")) {
        continue; // host/none/container network modes publish nothing through port mappings anyway
      }
      const attached = arrayOf(props["networksAdvanced"]).map((n) => scalarText(n["name"]));
      // A name not known (preview) is judged by the network resources the property depends on.
      const dependencies = (r.propertyDependencies?.["networksAdvanced"] ?? []).map((d) => d.urn);
      const internal = attached.map((name) => internalByName.get(name));
      const byDependency = dependencies.map((urn) => internalByUrn.get(urn));
      const external =
        attached.length === 0 ||
        internal.some((i) => i === false) ||
        (internal.some((i) => i === undefined) && (byDependency.length === 0 || byDependency.some((i) => i !== true)));
      if (!external) {
        reportViolation(
          `${scalarText(props["name"]) || r.name} publishes ${ports.map((p) => `${scalarText(p["ip"] ?? "0.0.0.0")}:${scalarText(p["external"] ?? p["internal"])}`).join(", ")} but is attached only to internal networks (${attached.join(", ")}): Docker does not publish such ports (moby/moby#36174). Attach it to a non-internal network or drop the ports.`,
          r.urn,
        );
      }
    }
  },
};
