import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { containerName, ownerLabels } from "../../catalog";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, toLabels, type EdgeRoute, type ServiceOutputs } from "../service-container";

/** Where the first-instance machine user's PAT is written (a tmpfs-backed volume: readable through the Engine API, never on disk). */
export const ZITADEL_BOOTSTRAP_DIR = "/zitadel/bootstrap";
export const ZITADEL_PAT_PATH = `${ZITADEL_BOOTSTRAP_DIR}/admin-sa.pat`;
/** Local-driver options of that volume: tmpfs, writable by any user (Zitadel's image runs as a non-root user). */
export const ZITADEL_BOOTSTRAP_VOLUME_OPTS = { type: "tmpfs", device: "tmpfs", o: "mode=1777" } as const;

/**
 * The first instance gets a machine user (IAM_OWNER) with a PAT instead of the default human
 * `zitadel-admin` with the well-known password (zitadel/zitadel cmd/setup/steps.yaml: FirstInstance.PatPath,
 * Org.Machine.Machine, Org.Machine.Pat.ExpirationDate — "ZITADEL either creates a human user or a machine user").
 * Read only on the first init; the bootstrap (components/bootstrap) uses the PAT and creates the human admin.
 */
export function firstInstanceEnv(): Record<string, string> {
  return {
    ZITADEL_FIRSTINSTANCE_PATPATH: ZITADEL_PAT_PATH,
    ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_USERNAME: "myoci-bootstrap",
    ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_NAME: "myoci bootstrap",
    ZITADEL_FIRSTINSTANCE_ORG_MACHINE_PAT_EXPIRATIONDATE: "2099-01-01T00:00:00Z",
  };
}

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
  /** The volume holding the first-instance PAT (tmpfs; mode 1777 so Zitadel's non-root user can write it). */
  public readonly bootstrapVolume: docker.Volume;
  public readonly patPath = ZITADEL_PAT_PATH;

  constructor(name: string, args: ZitadelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:identity:Zitadel", name, {}, opts);
    const { context } = args;
    this.hostname = `auth.${context.domain}`;
    this.bootstrapVolume = new docker.Volume(
      `${name}-pat`,
      {
        name: `${containerName(context.stack, "zitadel")}-bootstrap`,
        driver: "local",
        driverOpts: { ...ZITADEL_BOOTSTRAP_VOLUME_OPTS },
        labels: toLabels(ownerLabels(context.stack, "zitadel")),
      },
      { parent: this },
    );
    const databaseConfig = pulumi.all([args.dbPassword, args.postgresPassword]).apply(([user, admin]) => zitadelDatabaseConfig(args.postgresHost, user, admin));
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "zitadel",
        pin: pinOf(context, "zitadel"),
        stack: context.stack,
        networks: attach(context, "zitadel", true),
        memoryMb: context.memoryMb.zitadel,
        env: {
          ZITADEL_EXTERNALDOMAIN: this.hostname,
          ZITADEL_EXTERNALPORT: "443",
          ZITADEL_EXTERNALSECURE: "true",
          ZITADEL_TLS_ENABLED: "false",
          ZITADEL_DEFAULTINSTANCE_FEATURES_LOGINV2_REQUIRED: "false",
          ...firstInstanceEnv(),
        },
        volumeMounts: [{ volumeName: this.bootstrapVolume.name, containerPath: ZITADEL_BOOTSTRAP_DIR, readOnly: false }],
        // start-from-init on an empty database (migrations, first instance) takes minutes on a small VM.
        waitTimeoutSeconds: 420,
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
