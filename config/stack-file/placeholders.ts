/** Offline stand-ins for secrets (plan, policy runs, tests): policies never read a secret's value. */
import { placeholderSecret, SECRET_KEYS, type SecretKey } from "../schema";

/** A placeholder long enough for every secret's length rule; marked so it can never be mistaken for a real one. */
export const PLACEHOLDER_SECRET = (key: string): string => placeholderSecret(key as SecretKey);

/**
 * The one rule for filling secrets offline: a secret that is absent or unreadable (an encrypted `secure:` value, i.e.
 * not a string) gets its placeholder and is marked secret; a readable secret value is kept.
 */
export function withPlaceholderSecrets(
  values: Readonly<Record<string, unknown>>,
  secretKeys: Iterable<string>,
): { values: Record<string, unknown>; secretKeys: Set<string> } {
  const filled: Record<string, unknown> = { ...values };
  const secrets = new Set(secretKeys);
  for (const key of SECRET_KEYS) {
    if (filled[key] === undefined || (secrets.has(key) && typeof filled[key] !== "string")) {
      filled[key] = PLACEHOLDER_SECRET(key);
      secrets.add(key);
    }
  }
  return { values: filled, secretKeys: secrets };
}
