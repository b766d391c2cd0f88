import { expect } from "chai";
import { spawn, execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { renderTurnserverConf } from "../../components/vpn/management-json";
import { TURN_RELAY_PORTS } from "../../catalog";

const run = promisify(execFile);
const SECRET = "a-turn-secret-of-enough-length";

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe("coturn's turnserver.conf, read by the real turnserver (Debian's coturn)", function () {
  this.timeout(30000);
  const available = existsSync("/usr/bin/turnserver") && existsSync("/usr/bin/turnutils_uclient");

  it("reports the configured public address as the relayed address of an allocation, in the relay range", async function () {
    if (!available) this.skip();
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h9b-turn-"));
    const conf = renderTurnserverConf({ realm: "netbird.example.org", turnSecret: SECRET, relayPorts: TURN_RELAY_PORTS, externalIp: "192.0.2.10" });
    expect(conf.split("\n")).to.include("listening-port=3478");
    const port = await freeUdpPort();
    // The one change for this machine: a free port on 127.0.0.1 instead of 3478 on every address (the file wins over flags).
    writeFileSync(path.join(dir, "turnserver.conf"), conf.replace("listening-port=3478\n", `listening-port=${port}\nlistening-ip=127.0.0.1\n`));
    const server = spawn("turnserver", ["-c", path.join(dir, "turnserver.conf"), "--pidfile", path.join(dir, "pid"), "--userdb", path.join(dir, "turndb")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    server.stdout.on("data", (c: Buffer) => (log += c.toString()));
    server.stderr.on("data", (c: Buffer) => (log += c.toString()));
    try {
      for (let i = 0; i < 50 && !log.includes("Total General servers"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(log).not.to.match(/ERROR/);
      // Time-based credentials from the shared secret, as NetBird management hands them out (use-auth-secret).
      const { stdout } = await run("timeout", [
        "5",
        "turnutils_uclient",
        "-v",
        "-W",
        SECRET,
        "-u",
        "myoci",
        "-p",
        String(port),
        "-n",
        "1",
        "-m",
        "1",
        "-l",
        "32",
        "-e",
        "127.0.0.1",
        "127.0.0.1",
      ]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
      const relayed = [...stdout.matchAll(/Received relay addr: ([\d.]+):(\d+)/g)].map((m) => [m[1], Number(m[2])] as const);
      expect(relayed.length, stdout + log).to.be.greaterThan(0);
      for (const [address, relayPort] of relayed) {
        expect(address).to.equal("192.0.2.10");
        expect(relayPort).to.be.within(TURN_RELAY_PORTS.from, TURN_RELAY_PORTS.to);
      }
    } finally {
      server.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a conf whose external-ip is not an address (the line is read, not ignored)", async function () {
    if (!available) this.skip();
    const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h9b-turn-"));
    const port = await freeUdpPort();
    const conf = renderTurnserverConf({ realm: "r", turnSecret: SECRET, relayPorts: TURN_RELAY_PORTS, externalIp: "not-an-address.invalid" });
    writeFileSync(path.join(dir, "t.conf"), conf.replace("listening-port=3478\n", `listening-port=${port}\nlistening-ip=127.0.0.1\n`));
    const result = await run("timeout", [
      "3",
      "turnserver",
      "-c",
      path.join(dir, "t.conf"),
      "--pidfile",
      path.join(dir, "pid"),
      "--userdb",
      path.join(dir, "db"),
    ]).catch((e: { stdout?: string; stderr?: string }) => e);
    rmSync(dir, { recursive: true, force: true });
    expect(`${result.stdout ?? ""}${result.stderr ?? ""}`).to.include("ERROR: -X : Wrong address format: not-an-address.invalid");
  });
});
