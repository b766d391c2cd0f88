import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { CATALOG, formatImageReference } from "../../catalog";
import { attach, pinOf, type PlatformContext } from "../context";
import { ServiceContainer, type ServiceOutputs } from "../service-container";
import { repoRoot } from "../../config/repo-root";

/** The forwarder's build context in the repository. */
export function forwarderDir(): string {
  return path.join(repoRoot(), "forwarder");
}

/** Every build input: the Dockerfile and the standard-library-only script (no requirements, no pip step). */
export const FORWARDER_FILES = ["Dockerfile", "forwarder.py"] as const;

/** Content hash of the forwarder's build inputs and base image: the built image's tag. */
export function forwarderVersion(baseReference: string): string {
  const hash = createHash("sha256").update(baseReference);
  for (const file of FORWARDER_FILES) {
    hash.update(readFileSync(path.join(forwarderDir(), file)));
  }
  return `build-${hash.digest("hex").slice(0, 12)}`;
}

export interface TelegramForwarderArgs {
  readonly context: PlatformContext;
  readonly ntfyUrl: string;
  readonly topic: string;
  readonly ntfyUser: string;
  readonly ntfyPassword: pulumi.Input<string>;
  readonly botToken: pulumi.Input<string>;
  readonly chatId: string;
}

/** Built on the Docker host from the digest-pinned python base; the script needs nothing beyond the standard library. */
export class TelegramForwarder extends pulumi.ComponentResource implements ServiceOutputs {
  public readonly image: docker.Image;
  public readonly forwarder: ServiceContainer;
  public readonly containers: readonly ServiceContainer[];
  public readonly routes = [];

  constructor(name: string, args: TelegramForwarderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("myoci:monitoring:TelegramForwarder", name, {}, opts);
    const { context } = args;
    const basePin = pinOf(context, "forwarderBase");
    const base = CATALOG.forwarderBase;
    const baseReference = formatImageReference(base.registry, base.repository, basePin);
    const version = forwarderVersion(baseReference);
    this.image = new docker.Image(
      `${name}-image`,
      {
        imageName: `myoci/telegram-forwarder:${version}`,
        build: { context: forwarderDir(), dockerfile: path.join(forwarderDir(), "Dockerfile"), args: { BASE_IMAGE: baseReference } },
        skipPush: true,
      },
      { parent: this },
    );
    this.forwarder = new ServiceContainer(
      `${name}-forwarder`,
      {
        component: "forwarderBase",
        pin: basePin,
        builtImage: { reference: this.image.imageName, version, baseDigest: basePin.digest },
        stack: context.stack,
        // Internal network for ntfy, edge network for api.telegram.org.
        networks: attach(context, "telegram-forwarder", true),
        memoryMb: context.memoryMb.forwarderBase,
        env: {
          NTFY_URL: args.ntfyUrl,
          NTFY_TOPIC: args.topic,
          NTFY_USER: args.ntfyUser,
          NTFY_PASSWORD_FILE: "/run/secrets/ntfy_password",
          TELEGRAM_CHAT_ID: args.chatId,
          TELEGRAM_BOT_TOKEN_FILE: "/run/secrets/telegram_bot_token",
        },
        files: [
          { path: "/run/secrets/ntfy_password", content: args.ntfyPassword, secret: true },
          { path: "/run/secrets/telegram_bot_token", content: args.botToken, secret: true },
        ],
      },
      { parent: this },
    );
    this.containers = [this.forwarder];
    this.registerOutputs({ version });
  }
}
