/**
 * A throwaway PostgreSQL server from Debian's binaries (/usr/lib/postgresql/<major>/bin) on 127.0.0.1 and a free
 * port, trust auth, data in a temp folder. As root (CI) it runs as the `postgres` OS user via runuser.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./podman-probe";

const run = promisify(execFile);

/** The newest installed PostgreSQL bin folder, or undefined. */
export function postgresBinDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) {
    return undefined;
  }
  const majors = readdirSync(base)
    .filter((d) => /^\d+$/.test(d) && existsSync(path.join(base, d, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] !== undefined ? path.join(base, majors[0], "bin") : undefined;
}

export interface PostgresServer {
  readonly port: number;
  readonly bin: string;
  /** Runs SQL with psql as superuser `postgres`; returns unaligned, tuples-only output. */
  psql(sql: string, database?: string): Promise<string>;
  stop(): Promise<void>;
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** As root, the server binaries run as the `postgres` OS user (spawned directly with its uid/gid, so signals reach them). */
async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (!asRoot) {
    return {};
  }
  const { stdout: uid } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "myoci-pg-"));
  const user = await postgresUser();
  if (user.uid !== undefined && user.gid !== undefined) {
    chownSync(dir, user.uid, user.gid);
  }
  const data = path.join(dir, "data");
  await run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], { ...user, cwd: dir });
  const port = await freePort();
  const server: ChildProcess = spawn(
    path.join(bin, "postgres"),
    ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    { ...user, cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr!.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const psql = async (sql: string, database = "postgres"): Promise<string> => {
    const { stdout } = await run(path.join(bin, "psql"), [
      "-X",
      "-q",
      "-A",
      "-t",
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      database,
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      sql,
    ]);
    return stdout.trim();
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await run(path.join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres"]);
      break;
    } catch {
      if (server.exitCode !== null || Date.now() > deadline) {
        server.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`postgres did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    bin,
    psql,
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.kill("SIGINT"); // fast shutdown
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.exitCode === null) {
          server.kill("SIGKILL");
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
