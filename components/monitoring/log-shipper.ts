/**
 * The log shipper: Promtail (end of life 2026-03-02, kept while prod migrates) or Grafana Alloy, one per stack.
 * Both read container logs through the read-only Docker socket and push to Loki.
 */
import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type HostMount, type ServiceOutputs } from "../service-container";

const DOCKER_SOCKET: HostMount = { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true };

export function promtailConfig(lokiUrl: string): string {
  return [
    "server:",
    "  http_listen_port: 9080",
    "positions:",
    "  filename: /var/lib/promtail/positions.yaml",
    "clients:",
    `  - url: ${lokiUrl}/loki/api/v1/push`,
    "scrape_configs:",
    "  - job_name: docker",
    "    docker_sd_configs:",
    "      - host: unix:///var/run/docker.sock",
    "        refresh_interval: 15s",
    "    relabel_configs:",
    "      - source_labels: ['__meta_docker_container_name']",
    "        regex: '/(.*)'",
    "        target_label: container",
    "      - source_labels: ['__meta_docker_container_label_myoci_component']",
    "        target_label: component",
    "",
  ].join("\n");
}

export function alloyConfig(lokiUrl: string): string {
  return [
    'discovery.docker "containers" {',
    '  host = "unix:///var/run/docker.sock"',
    "}",
    'discovery.relabel "containers" {',
    "  targets = discovery.docker.containers.targets",
    "  rule {",
    '    source_labels = ["__meta_docker_container_name"]',
    '    regex         = "/(.*)"',
    '    target_label  = "container"',
    "  }",
    "  rule {",
    '    source_labels = ["__meta_docker_container_label_myoci_component"]',
    '    target_label  = "component"',
    "  }",
    "}",
    'loki.source.docker "containers" {',
    '  host       = "unix:///var/run/docker.sock"',
    "  targets    = discovery.relabel.containers.output",
    "  forward_to = [loki.write.local.receiver]",
    "}",
    'loki.write "local" {',
    "  endpoint {",
    `    url = "${lokiUrl}/loki/api/v1/push"`,
    "  }",
    "}",
    "",
  ].join("\n");
}

export interface LogShipperArgs {
  readonly context: PlatformContext;
  readonly kind: "promtail" | "alloy";
  readonly lokiUrl: string;
}

export class Promtail extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly agent: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];

  constructor(name: string, args: Omit<LogShipperArgs, "kind">, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:Promtail", name, {}, opts);
    const { context } = args;
    this.agent = new ServiceContainer(
      `${name}-agent`,
      {
        component: "promtail",
        pin: pinOf(context, "promtail"),
        stack: context.stack,
        networks: attach(context, "promtail", false),
        memoryMb: context.memoryMb.promtail,
        hostMounts: [DOCKER_SOCKET],
        files: [{ path: "/etc/promtail/myoci.yaml", content: promtailConfig(args.lokiUrl) }],
        command: ["-config.file=/etc/promtail/myoci.yaml"],
      },
      { parent: this },
    );
    this.containers = [this.agent];
    this.registerOutputs({});
  }
}

export class Alloy extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly agent: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];

  constructor(name: string, args: Omit<LogShipperArgs, "kind">, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:Alloy", name, {}, opts);
    const { context } = args;
    this.agent = new ServiceContainer(
      `${name}-agent`,
      {
        component: "alloy",
        pin: pinOf(context, "alloy"),
        stack: context.stack,
        networks: attach(context, "alloy", false),
        memoryMb: context.memoryMb.alloy,
        hostMounts: [DOCKER_SOCKET],
        files: [{ path: "/etc/alloy/config.alloy", content: alloyConfig(args.lokiUrl) }],
        command: ["run", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path=/var/lib/alloy/data", "/etc/alloy/config.alloy"],
      },
      { parent: this },
    );
    this.containers = [this.agent];
    this.registerOutputs({});
  }
}

/** The stack's one log shipper. */
export function createLogShipper(name: string, args: LogShipperArgs, opts?: pulumi.ComponentResourceOptions): Promtail | Alloy {
  return args.kind === "alloy" ? new Alloy(name, args, opts) : new Promtail(name, args, opts);
}
