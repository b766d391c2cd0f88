import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { stableBcryptHash } from "../bootstrap/bcrypt";
import { ServiceContainer, type EdgeRoute, type ServiceOutputs } from "../service-container";

/** The one user myoci publishes as and the forwarder subscribes as, with read-write access to its topic only. */
export interface NtfyPublisher {
  readonly user: string;
  /** bcrypt hash of the password ($2a$, cost 10: what `ntfy user hash` writes). */
  readonly passwordHash: string;
  readonly topic: string;
}

/**
 * ntfy server.yml: behind Caddy, persistent cache, access denied unless granted. The publishing user and its
 * access are declared (`auth-users: "<user>:<bcrypt>:<role>"`, `auth-access: "<user>:<topic>:<permission>"`, applied
 * by ntfy at every start; binwiederhier/ntfy docs/config.md "Users via the config" and "ACL entries via the config",
 * added in commit 2578236d (2025-07-27, first in v2.14.0), so present in the pinned v2.27.0 and v2.28.0).
 */
export function ntfyServerConfig(baseUrl: string, publisher: NtfyPublisher): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(publisher.user) || !/^[-_A-Za-z0-9]{1,64}$/.test(publisher.topic)) {
    throw new Error(`ntfy: user ${JSON.stringify(publisher.user)} and topic ${JSON.stringify(publisher.topic)} must be plain names`);
  }
  if (!/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(publisher.passwordHash)) {
    throw new Error("ntfy: the publisher's password hash is not a bcrypt hash");
  }
  return [
    `base-url: "${baseUrl}"`,
    'listen-http: ":80"',
    "behind-proxy: true",
    'cache-file: "/var/cache/ntfy/cache.db"',
    'auth-file: "/var/lib/ntfy/user.db"',
    'auth-default-access: "deny-all"',
    "auth-users:",
    `  - "${publisher.user}:${publisher.passwordHash}:user"`,
    "auth-access:",
    `  - "${publisher.user}:${publisher.topic}:rw"`,
    "",
  ].join("\n");
}

export interface NtfyArgs {
  readonly context: PlatformContext;
  /** The publishing user, its password (a stack secret) and the topic it may read and write. */
  readonly publisher: { readonly user: string; readonly password: pulumi.Input<string>; readonly topic: string };
}

/** ntfy: the notification hub myoci and the Telegram forwarder talk to. */
export class Ntfy extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly server: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes: readonly EdgeRoute[];
  public readonly hostname: string;
  /** URL for containers on the internal network. */
  public readonly internalUrl = "http://ntfy:80";

  constructor(name: string, args: NtfyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:Ntfy", name, {}, opts);
    const { context } = args;
    this.hostname = `ntfy.${context.domain}`;
    const { user, topic } = args.publisher;
    const serverYml = pulumi
      .secret(args.publisher.password)
      .apply((password) => ntfyServerConfig(`https://${this.hostname}`, { user, topic, passwordHash: stableBcryptHash(password, `ntfy ${user}`) }));
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "ntfy",
        pin: pinOf(context, "ntfy"),
        stack: context.stack,
        networks: attach(context, "ntfy", true),
        memoryMb: context.memoryMb.ntfy,
        // Holds the password's hash: uploaded as a secret file.
        files: [{ path: "/etc/ntfy/server.yml", content: serverYml, secret: true }],
        command: ["serve"],
      },
      { parent: this },
    );
    this.containers = [this.server];
    this.routes = [{ host: this.hostname, upstream: "ntfy:80", transport: "http" }];
    this.registerOutputs({ hostname: this.hostname });
  }
}
