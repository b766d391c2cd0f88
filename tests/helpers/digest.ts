/** `sha256:<hex>` of our own bytes: the digest of content a test made (never claimed to be a real image's). */
import { createHash } from "node:crypto";

export const sha256Digest = (bytes: Buffer | string): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
