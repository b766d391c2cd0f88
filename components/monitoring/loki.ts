import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type ServiceOutputs } from "../service-container";

/** Single-binary Loki on the filesystem, TSDB schema v13 (Loki 3's default). */
export function lokiConfig(): string {
  return [
    "auth_enabled: false",
    "server:",
    "  http_listen_port: 3100",
    "common:",
    "  path_prefix: /loki",
    "  replication_factor: 1",
    "  ring:",
    "    kvstore:",
    "      store: inmemory",
    "  storage:",
    "    filesystem:",
    "      chunks_directory: /loki/chunks",
    "      rules_directory: /loki/rules",
    "schema_config:",
    "  configs:",
    "    - from: 2024-04-01",
    "      store: tsdb",
    "      object_store: filesystem",
    "      schema: v13",
    "      index:",
    "        prefix: index_",
    "        period: 24h",
    "limits_config:",
    "  retention_period: 744h",
    "compactor:",
    "  working_directory: /loki/compactor",
    "  retention_enabled: true",
    "  delete_request_store: filesystem",
    "",
  ].join("\n");
}

export interface LokiArgs {
  readonly context: PlatformContext;
}

/** Loki: log store, reachable only on the internal network and 127.0.0.1:3100. */
export class Loki extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly server: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];
  /** URL other containers push to and query. */
  public readonly url = "http://loki:3100";

  constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:Loki", name, {}, opts);
    const { context } = args;
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "loki",
        pin: pinOf(context, "loki"),
        stack: context.stack,
        networks: attach(context, "loki", false),
        memoryMb: context.memoryMb.loki,
        files: [{ path: "/etc/loki/myoci.yaml", content: lokiConfig() }],
        command: ["-config.file=/etc/loki/myoci.yaml"],
      },
      { parent: this },
    );
    this.containers = [this.server];
    this.registerOutputs({ url: this.url });
  }
}
