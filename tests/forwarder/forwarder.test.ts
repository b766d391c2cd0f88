import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { FORWARDER_DIR } from "../../components/monitoring/telegram-forwarder";
import { startHttpRecorder, type HttpRecorder } from "../helpers/http-recorder";

/** Debian's python3 with python3-requests (installed by .ci/run); the container image pins its own. */
const PYTHON = "/usr/bin/python3";
const hasPython = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import requests"]).status === 0;

const TOKEN = "123456:TEST-token-never-printed";
const PASSWORD = "ntfy-password-never-printed";

/** An ntfy stand-in: GET /<topic>/json streams one JSON event a line, as ntfy does; `publish` sends one. */
async function startNtfyStream(): Promise<{ url: string; authorizations: string[]; publish(event: object): void; close(): Promise<void> }> {
  const streams: http.ServerResponse[] = [];
  const authorizations: string[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    if (req.url !== "/myoci/json") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    res.write(`${JSON.stringify({ event: "open", topic: "myoci" })}\n`);
    streams.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    publish: (event) => streams.forEach((s) => s.write(`${JSON.stringify({ event: "message", topic: "myoci", ...event })}\n`)),
    close: () => {
      streams.forEach((s) => s.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(condition: () => boolean, what: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

(hasPython ? describe : describe.skip)("Telegram forwarder (forwarder.py, real process)", function () {
  this.timeout(30000);
  let dir: string;
  let ntfy: Awaited<ReturnType<typeof startNtfyStream>>;
  let telegram: HttpRecorder;
  let child: ChildProcess;
  let output = "";

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-forwarder-"));
    writeFileSync(path.join(dir, "token"), `${TOKEN}\n`);
    writeFileSync(path.join(dir, "password"), PASSWORD);
    ntfy = await startNtfyStream();
    telegram = await startHttpRecorder();
    child = spawn(PYTHON, ["-u", path.join(FORWARDER_DIR, "forwarder.py")], {
      env: {
        PATH: process.env["PATH"],
        NTFY_URL: ntfy.url,
        NTFY_TOPIC: "myoci",
        NTFY_USER: "myoci",
        NTFY_PASSWORD_FILE: path.join(dir, "password"),
        TELEGRAM_CHAT_ID: "100200300",
        TELEGRAM_BOT_TOKEN_FILE: path.join(dir, "token"),
        TELEGRAM_API_URL: telegram.url,
        HEARTBEAT_FILE: path.join(dir, "heartbeat"),
      },
    });
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    await until(() => ntfy.authorizations.length > 0, "the forwarder to subscribe");
  });

  after(async () => {
    child?.kill("SIGKILL");
    await ntfy?.close();
    await telegram?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("subscribes with the ntfy user's credentials and keeps its heartbeat fresh", () => {
    expect(ntfy.authorizations[0]).to.equal(`Basic ${Buffer.from(`myoci:${PASSWORD}`).toString("base64")}`);
    expect(existsSync(path.join(dir, "heartbeat"))).to.equal(true);
  });

  it("relays a message to the chat as Markdown with title and click link", async () => {
    ntfy.publish({ title: "grafana 13.1.0 available", message: "staging: minor update", click: "https://github.com/grafana/grafana/releases/tag/v13.1.0" });
    await until(() => telegram.requests.length === 1, "the Telegram request");
    const request = telegram.requests[0]!;
    expect([request.method, request.path]).to.deep.equal(["POST", `/bot${TOKEN}/sendMessage`]);
    expect(JSON.parse(request.body)).to.deep.equal({
      chat_id: "100200300",
      text: "*grafana 13.1.0 available*\nstaging: minor update\nhttps://github.com/grafana/grafana/releases/tag/v13.1.0",
      parse_mode: "Markdown",
    });
  });

  it("reports a Telegram failure by status only, never printing a credential", async () => {
    telegram.failNext(1, 500);
    ntfy.publish({ message: "prod: rolled back" });
    await until(() => output.includes("telegram answered 500"), "the failure line");
    expect(telegram.requests).to.have.length(2);
    expect(output).not.to.include(TOKEN);
    expect(output).not.to.include(PASSWORD);
  });
});
