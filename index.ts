/** The myoci Pulumi program: validated config in, the whole platform out. */
import { loadPulumiConfig } from "./config/pulumi-config";
import { createPlatform } from "./platform";

const platform = createPlatform(loadPulumiConfig());

/** Per component: image reference, tag and digest (read by prod's promotion gate and `myoci drift`). */
export const images = platform.images;
export const hostnames = platform.hostnames;
