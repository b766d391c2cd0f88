import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CATALOG } from "../../catalog";
import { forwarderDir } from "../../components/monitoring/telegram-forwarder";
import { startHttpRecorder, type HttpRecorder } from "../helpers/http-recorder";

/** Debian's python3; the forwarder needs nothing beyond the standard library (the container image pins its own). */
const PYTHON = "/usr/bin/python3";
const hasPython = existsSync(PYTHON);

const TOKEN = "123456:TEST-token-never-printed";
const PASSWORD = "ntfy-password-never-printed";
const DEFAULT_HEARTBEAT = "/tmp/heartbeat";

type NtfyMode = "accept" | "reject" | "hang";

/**
 * An ntfy stand-in: GET /<topic>/json streams one JSON event a line, as ntfy does; `publish` sends one.
 * `mode` "reject" answers 401 as ntfy does for a wrong password; "hang" accepts the connection and never answers.
 */
async function startNtfyStream() {
  const streams: http.ServerResponse[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const state = { mode: "accept" as NtfyMode };
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    if (state.mode === "hang") {
      return;
    }
    if (state.mode === "reject") {
      res.writeHead(401, { "Content-Type": "application/json" }).end('{"code":40101,"http":401,"error":"unauthorized"}\n');
      return;
    }
    if (req.url !== "/myoci/json") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    res.write(`${JSON.stringify({ event: "open", topic: "myoci" })}\n`);
    streams.push(res);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    state,
    publish: (event: object) => streams.forEach((s) => s.write(`${JSON.stringify({ event: "message", topic: "myoci", ...event })}\n`)),
    /** Ends every open stream (as an ntfy restart does); the forwarder reconnects. */
    dropStreams: () => streams.splice(0).forEach((s) => s.destroy()),
    close: () => {
      streams.forEach((s) => s.destroy());
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
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

/** The image's own healthcheck (the catalog's test), pointed at this test's heartbeat file. */
function healthcheck(heartbeat: string): number {
  const [kind, program, ...args] = CATALOG.forwarderBase.health.test;
  expect([kind, program]).to.deep.equal(["CMD", "python"]);
  const script = args.at(-1)!;
  expect(script).to.include(`'${DEFAULT_HEARTBEAT}'`);
  return spawnSync(PYTHON, [...args.slice(0, -1), script.replace(`'${DEFAULT_HEARTBEAT}'`, `'${heartbeat}'`)]).status ?? -1;
}

function startForwarder(dir: string, ntfyUrl: string, telegramUrl: string): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(PYTHON, ["-u", path.join(forwarderDir(), "forwarder.py")], {
    env: {
      PATH: process.env["PATH"],
      NTFY_URL: ntfyUrl,
      NTFY_TOPIC: "myoci",
      NTFY_USER: "myoci",
      NTFY_PASSWORD_FILE: path.join(dir, "password"),
      TELEGRAM_CHAT_ID: "100200300",
      TELEGRAM_BOT_TOKEN_FILE: path.join(dir, "token"),
      TELEGRAM_API_URL: telegramUrl,
      HEARTBEAT_FILE: path.join(dir, "heartbeat"),
      RETRY_SECONDS: "0.2",
    },
  });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

(hasPython ? describe : describe.skip)("Telegram forwarder (forwarder.py, real process)", function () {
  this.timeout(30000);
  let dir: string;
  let ntfy: Awaited<ReturnType<typeof startNtfyStream>>;
  let telegram: HttpRecorder;
  let forwarder: ReturnType<typeof startForwarder>;
  const heartbeat = () => path.join(dir, "heartbeat");

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "myoci-forwarder-"));
    writeFileSync(path.join(dir, "token"), `${TOKEN}\n`);
    writeFileSync(path.join(dir, "password"), PASSWORD);
    ntfy = await startNtfyStream();
    telegram = await startHttpRecorder();
    forwarder = startForwarder(dir, ntfy.url, telegram.url);
    await until(() => ntfy.authorizations.length > 0 && existsSync(heartbeat()), "the forwarder to subscribe");
  });

  after(async () => {
    forwarder?.child.kill("SIGKILL");
    await ntfy?.close();
    await telegram?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("needs nothing beyond the standard library and the image has no pip step", () => {
    const source = readFileSync(path.join(forwarderDir(), "forwarder.py"), "utf8");
    const imports = [...source.matchAll(/^(?:import|from) ([\w.]+)/gm)].map((m) => m[1]!.split(".")[0]!);
    const stdlib = spawnSync(PYTHON, ["-c", "import sys; print('\\n'.join(sorted(sys.stdlib_module_names)))"]).stdout.toString().split("\n");
    expect(imports.filter((m) => !stdlib.includes(m))).to.deep.equal([]);
    expect(readFileSync(path.join(forwarderDir(), "Dockerfile"), "utf8")).not.to.match(/\bpip\b|requirements/);
  });

  it("subscribes with the ntfy user's credentials and turns healthy once ntfy accepted", () => {
    expect(ntfy.authorizations[0]).to.equal(`Basic ${Buffer.from(`myoci:${PASSWORD}`).toString("base64")}`);
    expect(healthcheck(heartbeat())).to.equal(0);
  });

  it("relays a message to the chat as Markdown with title and click link", async () => {
    ntfy.publish({ title: "grafana 13.1.0 available", message: "staging: minor update", click: "https://github.com/grafana/grafana/releases/tag/v13.1.0" });
    await until(() => telegram.requests.length === 1, "the Telegram request");
    const request = telegram.requests[0]!;
    expect([request.method, request.path, request.headers["content-type"]]).to.deep.equal(["POST", `/bot${TOKEN}/sendMessage`, "application/json"]);
    expect(JSON.parse(request.body)).to.deep.equal({
      chat_id: "100200300",
      text: "*grafana 13.1.0 available*\nstaging: minor update\nhttps://github.com/grafana/grafana/releases/tag/v13.1.0",
      parse_mode: "Markdown",
    });
  });

  it("reports a Telegram failure by status only, never printing a credential", async () => {
    telegram.failNext(1, 500);
    ntfy.publish({ message: "prod: rolled back" });
    await until(() => forwarder.output().includes("telegram answered 500"), "the failure line");
    expect(telegram.requests).to.have.length(2);
    expect(forwarder.output()).not.to.include(TOKEN);
    expect(forwarder.output()).not.to.include(PASSWORD);
  });

  it("fails its healthcheck as soon as ntfy refuses the credentials, and recovers when ntfy accepts again", async () => {
    ntfy.state.mode = "reject";
    const before = ntfy.authorizations.length;
    ntfy.dropStreams();
    await until(() => forwarder.output().includes("ntfy refused the subscription: 401"), "the refusal line");
    expect(ntfy.authorizations.length).to.be.greaterThan(before);
    // Several refused attempts later the heartbeat is still absent: no attempt refreshes it.
    await until(() => ntfy.authorizations.length > before + 3, "more refused attempts");
    expect(existsSync(heartbeat())).to.equal(false);
    expect(healthcheck(heartbeat())).to.equal(1);
    expect(forwarder.output()).not.to.include(PASSWORD);

    ntfy.state.mode = "accept";
    await until(() => existsSync(heartbeat()), "the heartbeat after ntfy accepted");
    expect(healthcheck(heartbeat())).to.equal(0);
  });
});

(hasPython ? describe : describe.skip)("Telegram forwarder before ntfy answers (real process)", function () {
  this.timeout(30000);

  it("writes no heartbeat while ntfy has accepted the connection but not answered the subscription", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-forwarder-"));
    writeFileSync(path.join(dir, "token"), TOKEN);
    writeFileSync(path.join(dir, "password"), PASSWORD);
    // A stale heartbeat from an earlier run of the container must not count either.
    writeFileSync(path.join(dir, "heartbeat"), "");
    const ntfy = await startNtfyStream();
    ntfy.state.mode = "hang";
    const forwarder = startForwarder(dir, ntfy.url, "http://127.0.0.1:9");
    try {
      await until(() => ntfy.authorizations.length > 0, "the subscription request");
      await new Promise((r) => setTimeout(r, 500));
      expect(existsSync(path.join(dir, "heartbeat"))).to.equal(false);
      expect(healthcheck(path.join(dir, "heartbeat"))).to.equal(1);
    } finally {
      forwarder.child.kill("SIGKILL");
      await ntfy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
