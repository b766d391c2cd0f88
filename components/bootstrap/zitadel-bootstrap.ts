/**
 * The Zitadel bootstrap, run by `pulumi up` as a command (@pulumi/command `local.Command`): on create it reads the
 * first-instance machine user's PAT that Zitadel wrote inside its container (Docker Engine API archive endpoint on
 * the stack's dockerHost), waits for Zitadel's API behind Caddy, and ensures NetBird's project, applications,
 * service user and human admin (zitadel-api.ts). Its request goes in on stdin, its outputs come back as JSON on
 * stdout; both are Pulumi secrets, and the command's output is never logged (`logging: none`). An update whose
 * identity inputs are unchanged returns the previous outputs without a request.
 *
 * Why a command and not a dynamic provider: the SDK serialises a dynamic provider's code into the resource's
 * inputs on every evaluation (`pulumi preview` included), which enables the V8 inspector (hashing every loaded
 * script) and parses each captured function with TypeScript: ~1 s of CPU per run of the program, most of an
 * offline policy run. A command is plain data.
 */
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { parseBootstrapStdout, type BootstrapInputs } from "./bootstrap-step";
import type { NetbirdIdentity } from "./zitadel-api";

/**
 * How the command provider runs the bootstrap: no shell; the interpreter gets the command string as its last
 * argument. Relative paths: the provider runs commands in the program's directory (pulumi-command
 * provider/pkg/provider/local/commandOutputs.go@v1.2.1: `cmd.Dir = os.Getwd()` when `dir` is unset; its own
 * example examples/curl/index.ts runs `./create_label.sh`). run-ts.js runs the compiled twin when the build is
 * fresh, else the TypeScript.
 */
export const BOOTSTRAP_INTERPRETER = ["node", "scripts/run-ts.js", "components/bootstrap/command.ts"] as const;

export interface ZitadelBootstrapArgs {
  readonly dockerHost: pulumi.Input<string>;
  readonly container: pulumi.Input<string>;
  readonly patPath: pulumi.Input<string>;
  readonly apiUrl: pulumi.Input<string>;
  readonly netbirdUrl: pulumi.Input<string>;
  readonly adminEmail: pulumi.Input<string>;
  readonly adminPassword: pulumi.Input<string>;
  /** @default 600 — Zitadel's first init, Caddy's first certificate and DNS all have to be there. */
  readonly timeoutSeconds?: number;
}

export const BOOTSTRAP_NAMES = { project: "NETBIRD", serviceUser: "netbird-service-account", admin: "admin" } as const;

/** The bootstrap; its outputs feed NetBird's management.json and the dashboard's settings. */
export class ZitadelBootstrap extends pulumi.ComponentResource {
  /** The command that runs the bootstrap (stdin and stdout are secrets). */
  readonly command: local.Command;
  readonly projectId: pulumi.Output<string>;
  readonly dashboardClientId: pulumi.Output<string>;
  readonly cliClientId: pulumi.Output<string>;
  readonly idpClientId: pulumi.Output<string>;
  /** A secret. */
  readonly idpClientSecret: pulumi.Output<string>;
  readonly adminUserId: pulumi.Output<string>;

  constructor(name: string, args: ZitadelBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:identity:ZitadelBootstrap", name, {}, opts);
    const request = pulumi
      .all([args.dockerHost, args.container, args.patPath, args.apiUrl, args.netbirdUrl, args.adminEmail, args.adminPassword])
      .apply(([dockerHost, container, patPath, apiUrl, netbirdUrl, adminEmail, adminPassword]): BootstrapInputs => ({
        dockerHost,
        container,
        patPath,
        apiUrl,
        netbirdUrl,
        projectName: BOOTSTRAP_NAMES.project,
        serviceUserName: BOOTSTRAP_NAMES.serviceUser,
        adminUserName: BOOTSTRAP_NAMES.admin,
        adminEmail,
        adminPassword,
        timeoutSeconds: args.timeoutSeconds ?? 600,
      }));
    this.command = new local.Command(
      `${name}-command`,
      {
        interpreter: [...BOOTSTRAP_INTERPRETER],
        create: "create",
        update: "update",
        stdin: pulumi.secret(request.apply((inputs) => JSON.stringify(inputs))),
        // The PAT and the client secret are on stdout: never in Pulumi's log (the state keeps them as secrets).
        logging: "none",
        addPreviousOutputInEnv: true,
      },
      // The component's dependsOn holds for the command too: it must not run before Zitadel and Caddy are up.
      { parent: this, dependsOn: opts?.dependsOn, additionalSecretOutputs: ["stdout", "stdin"] },
    );
    const outputs = this.command.stdout.apply(parseBootstrapStdout);
    // Ids are not secret (they are in the dashboard's public settings); the client secret and the PAT stay secret.
    const id = (key: keyof NetbirdIdentity) => pulumi.unsecret(outputs.apply((o) => o[key]));
    this.projectId = id("projectId");
    this.dashboardClientId = id("dashboardClientId");
    this.cliClientId = id("cliClientId");
    this.idpClientId = id("idpClientId");
    this.adminUserId = id("adminUserId");
    this.idpClientSecret = pulumi.secret(outputs.apply((o) => o.idpClientSecret));
    this.registerOutputs({ projectId: this.projectId, dashboardClientId: this.dashboardClientId, cliClientId: this.cliClientId });
  }
}
