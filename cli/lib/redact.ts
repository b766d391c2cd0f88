/**
 * Redaction of server-provided text before it is printed: known secrets (passwords, tokens, their base64 forms)
 * and anything shaped like a credential (Authorization values, JWTs, URL user info, `password=…` pairs).
 */
const MASK = "[redacted]";

// Credential shapes, whoever's they are.
const AUTH_VALUE = /\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const URL_USER_INFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;
const SECRET_PAIR = /\b((?:pass(?:word)?|passwd|secret|token|access_token|api[_-]?key)["']?\s*[=:]\s*["']?)[^\s"'&,;]+/gi;

/** Every form in which a secret may come back from a server: as is, base64 (alone or as user:secret), URL-encoded. */
function formsOf(secret: string): string[] {
  const forms = [secret, Buffer.from(secret).toString("base64"), encodeURIComponent(secret)];
  return [...new Set(forms)].filter((form) => form.length >= 4);
}

export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  const forms = known.filter((secret) => secret.length >= 4).flatMap(formsOf);
  // Longest first, so a secret inside a longer one does not leave the rest behind.
  for (const form of forms.sort((a, b) => b.length - a.length)) {
    out = out.split(form).join(MASK);
  }
  return out
    .replace(AUTH_VALUE, (_, scheme: string) => `${scheme} ${MASK}`)
    .replace(JWT, MASK)
    .replace(URL_USER_INFO, (_, scheme: string) => `${scheme}${MASK}@`)
    .replace(SECRET_PAIR, (_, key: string) => `${key}${MASK}`);
}
