import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { postgresDataPath } from "../../catalog";
import { attachInternalOnly, pinOf, type PlatformContext } from "../context";
import { LABELS, ServiceContainer, toLabels, volumeNameFor, type ServiceOutputs } from "../service-container";

export const POSTGRES_LABELS = { dataMajor: "myoci.postgres.data-major", migration: "myoci.postgres.migration" } as const;

export interface PostgresArgs {
  readonly context: PlatformContext;
  readonly superuserPassword: pulumi.Input<string>;
  /** Major version whose data the current volume holds. */
  readonly dataMajor: number;
  /** A declared major migration: the new major gets a fresh volume, the old one is kept (protected). */
  readonly migration?: { readonly from: number; readonly to: number };
}

/** PostgreSQL for Zitadel. Data volumes are named per major, so another major never opens old data in place. */
export class Postgres extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly server: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];
  /** The old major's volume kept during a migration. */
  public readonly previousVolume?: docker.Volume;
  public readonly host = "postgres";

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:identity:Postgres", name, {}, opts);
    const { context } = args;
    const pin = pinOf(context, "postgres");
    const mountedMajor = args.migration?.to ?? args.dataMajor;
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "postgres",
        pin,
        stack: context.stack,
        service: "postgres",
        // No published port: only Zitadel (internal network) and `docker exec` (backups) reach the database.
        networks: attachInternalOnly(context, "postgres"),
        memoryMb: context.memoryMb.postgres,
        dataPaths: [postgresDataPath(mountedMajor)],
        volumeSuffix: `-pg${mountedMajor}`,
        env: { POSTGRES_PASSWORD_FILE: "/run/secrets/postgres_password" },
        files: [{ path: "/run/secrets/postgres_password", content: args.superuserPassword, secret: true }],
        labels: {
          [POSTGRES_LABELS.dataMajor]: String(args.dataMajor),
          ...(args.migration ? { [POSTGRES_LABELS.migration]: `${args.migration.from}->${args.migration.to}` } : {}),
        },
      },
      { parent: this },
    );
    if (args.migration) {
      const previous = volumeNameFor(context.stack, "postgres", postgresDataPath(args.migration.from), `-pg${args.migration.from}`);
      this.previousVolume = new docker.Volume(
        `${name}-previous-data`,
        {
          name: previous,
          labels: toLabels({
            [LABELS.component]: "postgres",
            [LABELS.stack]: context.stack,
            [LABELS.managedBy]: "myoci",
            [LABELS.data]: "true",
            "myoci.path": postgresDataPath(args.migration.from),
          }),
        },
        { parent: this, protect: true, retainOnDelete: true },
      );
    }
    this.containers = [this.server];
    this.registerOutputs({});
  }
}
