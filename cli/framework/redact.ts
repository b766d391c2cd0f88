/**
 * Redaction of server-provided text before it is printed (error bodies, challenge fields, echoed headers): a
 * server or proxy that echoes the request must never put a password or token on the user's terminal or in a log.
 * Removes the credentials the caller knows (raw, base64 of `user:password`, URL-encoded) and anything shaped like
 * one: Authorization values, JWTs, URL user-info, `password=`/`token=` fields. Control characters are replaced too.
 */

export const REDACTED = "[redacted]";

/** A credential the caller sent, in every form a server might echo it. */
export interface Credential {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
}

/** The literal strings to remove for a credential: the secret itself, base64 of `user:secret` and of the secret alone. */
export function credentialForms(credential: Credential): string[] {
  const forms = new Set<string>();
  for (const secret of [credential.password, credential.token]) {
    if (secret === undefined || secret.length < 4) {
      continue; // shorter strings would redact ordinary words; the patterns below still catch headers
    }
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(Buffer.from(secret, "utf8").toString("base64"));
    if (credential.username !== undefined) {
      const pair = Buffer.from(`${credential.username}:${secret}`, "utf8").toString("base64");
      forms.add(pair);
      forms.add(pair.replace(/=+$/, ""));
    }
  }
  return [...forms].filter((form) => form.length >= 4).sort((a, b) => b.length - a.length);
}

const PATTERNS: readonly [RegExp, string][] = [
  // Authorization / Proxy-Authorization values (header lines or JSON echoes): scheme kept, credential removed
  [/\b(Basic|Bearer|Token|Digest)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${REDACTED}`],
  // JSON Web Tokens (three base64url parts)
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // user:password@ in URLs
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`],
  // password=…, "token": "…", access_token=… in query strings, forms and JSON
  [
    /(["']?\b(?:password|passwd|secret|token|access_token|refresh_token|id_token|api[_-]?key|authorization)["']?\s*[:=]\s*["']?)([^"'\s&,}]{4,})/gi,
    `$1${REDACTED}`,
  ],
];

/** `text` with every known credential form and every credential-shaped substring replaced by [redacted]. */
export function redact(text: string, credentials: readonly Credential[] = []): string {
  let out = text;
  for (const form of credentials.flatMap(credentialForms)) {
    out = out.split(form).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) {
    out = out.replace(pattern, replacement);
  }
  return out;
}

/**
 * A server's text as one printable line: redacted, control characters (terminal escapes) shown as `?`, whitespace
 * collapsed, cut to `max` characters.
 */
export function serverText(text: string, credentials: readonly Credential[] = [], max = 200): string {
  const flat = redact(text, credentials)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
