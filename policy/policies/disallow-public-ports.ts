import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CATALOG, COMPONENT_IDS, TURN_RELAY_PORTS } from "../../catalog";
import { forType, requireType } from "../lib/applies";
import { arrayOf, componentOf, displayName, TYPES, plainProps } from "../lib/resources";
import { policySchema, settingsOf } from "../lib/settings";
import { COMPONENT_PROPERTY, exceptionsOf, KEEP_DEFAULTS_PROPERTY } from "../lib/exceptions";

interface AllowedPort {
  component: string;
  port: number;
  /** Last port of an inclusive range starting at `port`. */
  portTo?: number;
  protocol: string;
  reason: string;
}

const edge = (component: string, port: number, protocol: string, reason: string): AllowedPort => ({ component, port, protocol, reason });

// The catalog marks each component's public edge ports (Caddy 80/443, coturn STUN/TURN).
export const PORT_EXCEPTIONS: readonly AllowedPort[] = [
  ...COMPONENT_IDS.flatMap((id) =>
    CATALOG[id].ports.filter((p) => p.edge === true).map((p) => edge(id, p.host, p.protocol, `${CATALOG[id].title} ${p.purpose} (catalog edge port).`)),
  ),
  {
    ...edge(
      "coturn",
      TURN_RELAY_PORTS.from,
      "udp",
      "TURN relay ports NetBird peers reach from outside (turnserver.conf min-port/max-port, components/vpn/netbird.ts).",
    ),
    portTo: TURN_RELAY_PORTS.to,
  },
];

const configSchema = policySchema({
  properties: {
    loopback: { type: "array", items: { type: "string" }, description: "Addresses that only the host itself can reach.", default: ["127.0.0.1", "::1"] },
    allowed: {
      type: "array",
      description:
        "Host ports that may be published on every address: component, external port, protocol and why. Added to the built-in exceptions (the catalog's edge ports, coturn's relay range; see keepDefaults).",
      items: {
        type: "object",
        properties: {
          component: COMPONENT_PROPERTY,
          port: { type: "integer", minimum: 1, maximum: 65535 },
          portTo: { type: "integer", minimum: 1, maximum: 65535 },
          protocol: { type: "string", enum: ["tcp", "udp"] },
          reason: { type: "string", minLength: 1 },
        },
        required: ["component", "port", "protocol", "reason"],
      },
      default: [],
    },
    keepDefaults: KEEP_DEFAULTS_PROPERTY,
  },
});

export const disallowPublicPorts: ResourceValidationPolicy = {
  name: "disallow-public-ports",
  description:
    "Containers publish ports on a loopback address only, except the edge ports allowlisted in policy config (by default the catalog's edge ports: Caddy 80/443, coturn).",
  enforcementLevel: "mandatory",
  configSchema: configSchema,
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    const settings = settingsOf(args, configSchema);
    const { loopback } = settings;
    const allowed = exceptionsOf(PORT_EXCEPTIONS, settings);
    const component = componentOf(props);
    for (const port of arrayOf(props["ports"])) {
      // Docker publishes on every address when no ip is given.
      const ip = typeof port["ip"] === "string" && port["ip"] !== "" ? port["ip"] : "0.0.0.0";
      if (loopback.includes(ip)) {
        continue;
      }
      const external = Number(port["external"] ?? port["internal"]);
      const protocol = typeof port["protocol"] === "string" ? port["protocol"] : "tcp";
      if (!allowed.some((a) => a.component === component && a.protocol === protocol && external >= a.port && external <= (a.portTo ?? a.port))) {
        reportViolation(
          `${displayName(props, args.name)} publishes ${ip}:${external}/${protocol} (container port ${String(port["internal"])}) beyond the host: bind it to 127.0.0.1 or allowlist it with a reason.`,
        );
      }
    }
  }),
};
