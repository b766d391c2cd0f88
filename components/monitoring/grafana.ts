import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type EdgeRoute, type ServiceOutputs } from "../service-container";

/** Provisioned data source: Grafana reads Loki over the internal network. */
export function lokiDataSource(lokiUrl: string): string {
  return [
    "apiVersion: 1",
    "datasources:",
    "  - name: Loki",
    "    type: loki",
    "    uid: myoci-loki",
    "    access: proxy",
    `    url: ${lokiUrl}`,
    "    isDefault: true",
    "    editable: false",
    "",
  ].join("\n");
}

export interface GrafanaArgs {
  readonly context: PlatformContext;
  readonly lokiUrl: string;
  readonly adminPassword: pulumi.Input<string>;
}

/** Grafana with the Loki data source provisioned; the admin password arrives as a secret file. */
export class Grafana extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly server: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes: readonly EdgeRoute[];
  public readonly hostname: string;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:Grafana", name, {}, opts);
    const { context } = args;
    this.hostname = `grafana.${context.domain}`;
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "grafana",
        pin: pinOf(context, "grafana"),
        stack: context.stack,
        networks: attach(context, "grafana", true),
        memoryMb: context.memoryMb.grafana,
        env: {
          GF_SERVER_ROOT_URL: `https://${this.hostname}`,
          GF_SECURITY_ADMIN_USER: "admin",
          GF_SECURITY_ADMIN_PASSWORD__FILE: "/run/secrets/grafana_admin_password",
          GF_USERS_ALLOW_SIGN_UP: "false",
          GF_ANALYTICS_REPORTING_ENABLED: "false",
        },
        files: [
          { path: "/run/secrets/grafana_admin_password", content: args.adminPassword, secret: true },
          { path: "/etc/grafana/provisioning/datasources/myoci-loki.yaml", content: lokiDataSource(args.lokiUrl) },
        ],
      },
      { parent: this },
    );
    this.containers = [this.server];
    this.routes = [{ host: this.hostname, upstream: "grafana:3000", transport: "http" }];
    this.registerOutputs({ hostname: this.hostname });
  }
}
