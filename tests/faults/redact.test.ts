/** Secret echo: server-provided text (error bodies, challenges) passes one redaction before it is printed. */
import { expect } from "chai";
import { credentialForms, redact, serverText } from "../../cli/framework/redact";

describe("fault suite: redaction of server-provided text", () => {
  // Server-provided text (error bodies, challenges) passes one redaction before it is printed.
  const login = { username: "ops", password: "s3cret-Pässword!" };
  const basic = Buffer.from(`${login.username}:${login.password}`).toString("base64");
  const echoes: [string, string][] = [
    ["an echoed Authorization header", `Authorization: Basic ${basic}`],
    ["the base64 pair in JSON", `{"errors":[{"message":"bad credentials ${basic}"}]}`],
    ["the pair without padding", `got ${basic.replace(/=+$/, "")}`],
    ["the raw password", `password ${login.password} rejected`],
    ["the URL-encoded password", `body: p=${encodeURIComponent(login.password)}`],
    ["a Bearer token", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789"],
    ["a JWT", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJlLXZhbHVl"],
    ["user:password@ in a URL", "redirected to https://ops:hunter2hunter2@registry.example.org/v2/"],
    ["a token field in JSON", '{"token":"abc123def456ghi789","access_token":"zyx987wvu654"}'],
    ["a password= form field", "user=ops&password=hunter2hunter2&x=1"],
  ];
  for (const [name, text] of echoes) {
    it(`redacts ${name}`, () => {
      const out = redact(text, [login]);
      expect(out).to.contain("[redacted]");
      for (const form of [
        login.password,
        basic,
        basic.replace(/=+$/, ""),
        encodeURIComponent(login.password),
        "hunter2hunter2",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "abc123def456ghi789",
      ]) {
        expect(out).not.to.contain(form);
      }
    });
  }
  it("serverText: one line, control characters and terminal escapes neutralised, cut after redaction", () => {
    const long = `${"x".repeat(195)} Basic ${basic}\n\u001b[31mred\u0007`;
    const out = serverText(long, [login], 200);
    expect(out).not.to.match(/[\u0000-\u001f]/);
    expect(out).not.to.contain(basic.slice(0, 6));
    expect(out.length).to.be.at.most(201);
    expect(credentialForms({ username: "u", password: "abc" })).to.deep.equal([]);
  });
});
