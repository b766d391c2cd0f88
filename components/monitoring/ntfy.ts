import * as pulumi from "@pulumi/pulumi";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type EdgeRoute, type ServiceOutputs } from "../service-container";

/** ntfy server.yml: behind Caddy, persistent cache, access denied unless a user is granted it. */
export function ntfyServerConfig(baseUrl: string): string {
  return [
    `base-url: "${baseUrl}"`,
    'listen-http: ":80"',
    "behind-proxy: true",
    'cache-file: "/var/cache/ntfy/cache.db"',
    'auth-file: "/var/lib/ntfy/user.db"',
    'auth-default-access: "deny-all"',
    "",
  ].join("\n");
}

export interface NtfyArgs {
  readonly context: PlatformContext;
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
    this.server = new ServiceContainer(
      `${name}-server`,
      {
        component: "ntfy",
        pin: pinOf(context, "ntfy"),
        stack: context.stack,
        service: "ntfy",
        networks: attach(context, "ntfy", true),
        memoryMb: context.memoryMb.ntfy,
        files: [{ path: "/etc/ntfy/server.yml", content: ntfyServerConfig(`https://${this.hostname}`) }],
        command: ["serve"],
      },
      { parent: this },
    );
    this.containers = [this.server];
    this.routes = [{ host: this.hostname, upstream: "ntfy:80", transport: "http" }];
    this.registerOutputs({ hostname: this.hostname });
  }
}
