/** What every service component needs from the platform: stack, domain, networks, pins and limits. */
import * as pulumi from "@pulumi/pulumi";
import type { ComponentId, ImagePin } from "../catalog";
import type { NetworkAttachment } from "./service-container";

export interface PlatformContext {
  readonly stack: string;
  readonly domain: string;
  /** Docker network names: `edge` (Caddy and what it proxies) and `internal` (no outside access). */
  readonly networks: { readonly edge: pulumi.Input<string>; readonly internal: pulumi.Input<string> };
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

/** Attach to the internal network (and the edge one when Caddy proxies the service) under one alias. */
export function attach(context: PlatformContext, alias: string, edge: boolean): NetworkAttachment[] {
  const internal = { network: context.networks.internal, aliases: [alias] };
  return edge ? [internal, { network: context.networks.edge, aliases: [alias] }] : [internal];
}
