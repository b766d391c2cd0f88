/** What every service component needs from the platform: stack, domain, networks, pins and limits. */
import * as pulumi from "@pulumi/pulumi";
import type { ComponentId, ImagePin } from "../catalog";
import type { NetworkAttachment } from "./service-container";

export interface PlatformContext {
  readonly stack: string;
  readonly domain: string;
  /**
   * Docker network names: `edge` (Caddy and what it proxies), `internal` (no outside access) and `loopback`
   * (a plain bridge that only lets Docker publish the 127.0.0.1 ports of services that are not on `edge`).
   */
  readonly networks: { readonly edge: pulumi.Input<string>; readonly internal: pulumi.Input<string>; readonly loopback: pulumi.Input<string> };
  readonly pins: Readonly<Partial<Record<ComponentId, ImagePin>>>;
  readonly memoryMb: Readonly<Record<ComponentId, number>>;
}

/** The pin of a component; a missing one is a programming error (config validation requires it). */
export function pinOf(context: PlatformContext, component: ComponentId): ImagePin {
  const pin = context.pins[component];
  if (!pin) {
    throw new Error(`no image pin for ${component} in stack ${context.stack}`);
  }
  return pin;
}

/**
 * Attach to the internal network under one alias, plus the edge network when Caddy proxies the service, or
 * else the loopback network so that its 127.0.0.1 ports are published (Docker publishes none of a container
 * that is only on internal networks, moby/moby#36174).
 */
export function attach(context: PlatformContext, alias: string, edge: boolean): NetworkAttachment[] {
  const internal = { network: context.networks.internal, aliases: [alias], internal: true };
  const outside = edge ? context.networks.edge : context.networks.loopback;
  return [internal, { network: outside, aliases: [alias], internal: false }];
}

/** Attach to the internal network only: for services that publish no port (PostgreSQL). */
export function attachInternalOnly(context: PlatformContext, alias: string): NetworkAttachment[] {
  return [{ network: context.networks.internal, aliases: [alias], internal: true }];
}
