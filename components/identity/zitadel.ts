import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type EdgeRoute, type ServiceOutputs } from "../service-container";

/** Zitadel's database settings; holds both passwords, so it is uploaded as a secret file. */
export function zitadelDatabaseConfig(postgresHost: string, userPassword: string, adminPassword: string): string {
  return [
    "Database:",
    "  postgres:",
    `    Host: ${postgresHost}`,
    "    Port: 5432",
    "    Database: zitadel",
    "    User:",
    "      Username: zitadel",
    `      Password: ${JSON.stringify(userPassword)}`,
    "      SSL:",
    "        Mode: disable",
    "    Admin:",
    "      Username: postgres",
    `      Password: ${JSON.stringify(adminPassword)}`,
    "      SSL:",
    "        Mode: disable",
    "",
  ].join("\n");
}

export interface ZitadelArgs {
  readonly context: PlatformContext;
  readonly postgresHost: string;
  readonly dbPassword: pulumi.Input<string>;
  readonly postgresPassword: pulumi.Input<string>;
  readonly masterkey: pulumi.Input<string>;
  /** Containers Zitadel must start after (Postgres). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Zitadel behind Caddy (TLS terminated there, gRPC proxied as h2c). */
export class Zitadel extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly server: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes: readonly EdgeRoute[];
  public readonly hostname: string;

  constructor(name: string, args: ZitadelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:identity:Zitadel", name, {}, opts);
    const { context } = args;
    this.hostname = `auth.${context.domain}`;
    const databaseConfig = pulumi.all([args.dbPassword, args.postgresPassword]).apply(([user, admin]) => zitadelDatabaseConfig(args.postgresHost, user, admin));
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "zitadel",
        pin: pinOf(context, "zitadel"),
        stack: context.stack,
        service: "zitadel",
        networks: attach(context, "zitadel", true),
        memoryMb: context.memoryMb.zitadel,
        env: {
          ZITADEL_EXTERNALDOMAIN: this.hostname,
          ZITADEL_EXTERNALPORT: "443",
          ZITADEL_EXTERNALSECURE: "true",
          ZITADEL_TLS_ENABLED: "false",
          ZITADEL_DEFAULTINSTANCE_FEATURES_LOGINV2_REQUIRED: "false",
        },
        files: [
          { path: "/run/secrets/zitadel_masterkey", content: args.masterkey, secret: true },
          { path: "/run/secrets/zitadel-database.yaml", content: databaseConfig, secret: true },
        ],
        dependsOn: args.dependsOn,
        command: [
          "start-from-init",
          "--masterkeyFile",
          "/run/secrets/zitadel_masterkey",
          "--tlsMode",
          "external",
          "--config",
          "/run/secrets/zitadel-database.yaml",
        ],
      },
      { parent: this },
    );
    this.containers = [this.server];
    this.routes = [{ host: this.hostname, upstream: "zitadel:8080", transport: "h2c" }];
    this.registerOutputs({ hostname: this.hostname });
  }
}
