import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dataVolumeLabels, LABEL, postgresDataPath, postgresMigrationLabel, postgresVolumeSuffix, volumeName } from "../../catalog";
import { attachInternalOnly, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, toLabels, type ServiceOutputs } from "../service-container";

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
        // No published port: only Zitadel (internal network) and `docker exec` (backups) reach the database.
        networks: attachInternalOnly(context, "postgres"),
        memoryMb: context.memoryMb.postgres,
        dataPaths: [postgresDataPath(mountedMajor)],
        volumeSuffix: postgresVolumeSuffix(mountedMajor),
        env: { POSTGRES_PASSWORD_FILE: "/run/secrets/postgres_password" },
        files: [{ path: "/run/secrets/postgres_password", content: args.superuserPassword, secret: true }],
        labels: {
          [LABEL.postgresDataMajor]: String(args.dataMajor),
          ...(args.migration ? { [LABEL.postgresMigration]: postgresMigrationLabel(args.migration.from, args.migration.to) } : {}),
        },
      },
      { parent: this },
    );
    if (args.migration) {
      const previousPath = postgresDataPath(args.migration.from);
      this.previousVolume = new docker.Volume(
        `${name}-previous-data`,
        {
          name: volumeName(context.stack, "postgres", previousPath, postgresVolumeSuffix(args.migration.from)),
          labels: toLabels(dataVolumeLabels(context.stack, "postgres", previousPath)),
        },
        { parent: this, protect: true, retainOnDelete: true },
      );
    }
    this.containers = [this.server];
    this.registerOutputs({});
  }
}
