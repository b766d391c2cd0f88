import * as pulumi from "@pulumi/pulumi";
import { pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type EdgeRoute, type ServiceOutputs } from "../service-container";
import { renderCaddyfile } from "./caddyfile";

export interface CaddyArgs {
  readonly context: PlatformContext;
  /** Every route the other services declare. */
  readonly routes: readonly EdgeRoute[];
  readonly acmeEmail: string;
}

/** Caddy: the public edge (80, 443, 443/udp); certificates live in the protected /data volume. */
export class Caddy extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly proxy: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];
  public readonly caddyfile: string;

  constructor(name: string, args: CaddyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:edge:Caddy", name, {}, opts);
    const { context } = args;
    this.caddyfile = renderCaddyfile(args.routes, args.acmeEmail);
    this.proxy = new ServiceContainer(
      `${name}-proxy`,
      {
        component: "caddy",
        pin: pinOf(context, "caddy"),
        stack: context.stack,
        networks: [{ network: context.networks.edge, aliases: ["caddy"] }],
        memoryMb: context.memoryMb.caddy,
        files: [{ path: "/etc/caddy/Caddyfile", content: this.caddyfile }],
      },
      { parent: this },
    );
    this.containers = [this.proxy];
    this.registerOutputs({});
  }
}
