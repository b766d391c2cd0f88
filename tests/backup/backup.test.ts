import { expect } from "chai";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import {
  backupTimestamp,
  compareManifests,
  HostBackupRunner,
  localShell,
  parseManifest,
  planBackup,
  planDumpManifest,
  planLiveManifest,
  planPostgresRestore,
  runBackup,
  selectForDeletion,
  shellQuote,
} from "../../cli/app/backup";
import { postgresBinDir, startPostgres, type PostgresServer } from "../helpers/postgres-server";

const WHEN = new Date("2026-11-25T20:30:05.123Z");

describe("backup commands (pure)", () => {
  it("pg_dumpall of the stack's postgres container to a dated file, via a .partial file", () => {
    const step = planBackup("prod", "postgres", "/var/backups/myoci", WHEN, 16)!;
    expect(step.files).to.deep.equal(["/var/backups/myoci/prod-postgres-20261125T203005Z.sql"]);
    expect(step.script).to.equal(
      "mkdir -p /var/backups/myoci && docker exec myoci-prod-postgres pg_dumpall -U postgres > /var/backups/myoci/prod-postgres-20261125T203005Z.sql.partial && mv /var/backups/myoci/prod-postgres-20261125T203005Z.sql.partial /var/backups/myoci/prod-postgres-20261125T203005Z.sql || { rm -f /var/backups/myoci/prod-postgres-20261125T203005Z.sql.partial; exit 1; }",
    );
  });

  it("volume archives with docker cp, one per data path; none for stateless components", () => {
    expect(planBackup("staging", "grafana", "/srv/backups", WHEN)).to.deep.equal({
      component: "grafana",
      kind: "volume-archive",
      files: ["/srv/backups/staging-grafana-20261125T203005Z.tar.gz"],
      script:
        "mkdir -p /srv/backups && docker cp myoci-staging-grafana:/var/lib/grafana - > /srv/backups/staging-grafana-20261125T203005Z.tar && gzip -f /srv/backups/staging-grafana-20261125T203005Z.tar",
    });
    expect(planBackup("prod", "ntfy", "/b", WHEN)!.files).to.deep.equal([
      "/b/prod-ntfy-20261125T203005Z--var_cache_ntfy.tar.gz",
      "/b/prod-ntfy-20261125T203005Z--var_lib_ntfy.tar.gz",
    ]);
    expect(planBackup("prod", "netbirdManagement", "/b", WHEN)!.script).to.contain("docker cp myoci-prod-netbird-management:");
    expect(planBackup("prod", "coturn", "/b", WHEN)).to.equal(undefined);
    expect(shellQuote("it's")).to.equal(`'it'\\''s'`);
    expect(backupTimestamp(WHEN)).to.equal("20261125T203005Z");
  });

  it("keeps the newest K backups per stack and component", () => {
    const files = [
      "prod-postgres-20261120T000000Z.sql",
      "prod-postgres-20261121T000000Z.sql",
      "prod-postgres-20261122T000000Z.sql",
      "prod-postgres-20261122T000000Z.sql.partial",
      "staging-postgres-20261101T000000Z.sql",
      "prod-ntfy-20261101T000000Z--var_cache_ntfy.tar.gz",
      "prod-ntfy-20261101T000000Z--var_lib_ntfy.tar.gz",
      "prod-ntfy-20261102T000000Z--var_cache_ntfy.tar.gz",
      "prod-ntfy-20261102T000000Z--var_lib_ntfy.tar.gz",
      "notes.txt",
    ];
    expect(selectForDeletion(files, "prod", "postgres", 2)).to.deep.equal(["prod-postgres-20261120T000000Z.sql"]);
    expect(selectForDeletion(files, "prod", "ntfy", 1)).to.deep.equal([
      "prod-ntfy-20261101T000000Z--var_cache_ntfy.tar.gz",
      "prod-ntfy-20261101T000000Z--var_lib_ntfy.tar.gz",
    ]);
    expect(selectForDeletion(files, "staging", "postgres", 1)).to.deep.equal([]);
  });
});

/**
 * The generated scripts run for real by `sh`, against real PostgreSQL servers. `docker` is a shim on PATH that
 * maps `docker exec [-i] myoci-<stack>-postgres <tool> …` to the Debian binaries of the server whose port is in
 * $SHIM_DIR/port (swapping the port = the new-major container behind the same name), and `docker cp` to tar.
 */
describe("backups run for real (Debian PostgreSQL, sh)", function () {
  this.timeout(120_000);
  let old: PostgresServer | undefined;
  let fresh: PostgresServer | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    if (!postgresBinDir()) {
      this.skip(); // PostgreSQL server binaries absent (CI installs postgresql)
    }
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-backup-"));
    const bin = postgresBinDir()!;
    mkdirSync(path.join(dir, "bin"));
    mkdirSync(path.join(dir, "containers"));
    writeFileSync(
      path.join(dir, "bin", "docker"),
      `#!/bin/sh
# test shim for docker exec / docker cp (see backup.test.ts)
case "$1" in
exec)
  shift; [ "$1" = "-i" ] && shift
  shift # container name
  tool=$1; shift
  exec env PGHOST=127.0.0.1 PGPORT="$(cat "$SHIM_DIR/port")" "${bin}/$tool" "$@" ;;
cp)
  src=\${2#*:}; [ "$3" = "-" ] || exit 2
  root="$SHIM_DIR/containers/\${2%%:*}"
  exec tar -C "$root$(dirname "$src")" -cf - "$(basename "$src")" ;;
esac
echo "shim: unsupported docker $1" >&2; exit 2
`,
    );
    chmodSync(path.join(dir, "bin", "docker"), 0o755);
    env = { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`, SHIM_DIR: dir };
    old = await startPostgres();
    fresh = await startPostgres();
  });

  after(async () => {
    await old?.stop();
    await fresh?.stop();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("pg_dumpall → file on the host → restore into a fresh server (the --migrate path): same rows", async () => {
    await old!.psql("CREATE DATABASE zitadel");
    await old!.psql("CREATE TABLE users (id int PRIMARY KEY, name text); INSERT INTO users SELECT g, 'user-' || g FROM generate_series(1, 250) g", "zitadel");
    writeFileSync(path.join(dir, "port"), String(old!.port));
    const backups = path.join(dir, "backups");
    const runner = new HostBackupRunner(
      () => WHEN,
      () => localShell(env),
    );
    const outcome = await runner.backup({
      stack: "staging",
      dockerHost: "unix:///var/run/docker.sock",
      component: "postgres",
      dir: backups,
      keep: 5,
      postgresMajor: 16,
    });
    expect(outcome).to.deep.equal({ ok: true, files: [`${backups}/staging-postgres-20261125T203005Z.sql`], deleted: [] });
    expect(readdirSync(backups)).to.deep.equal(["staging-postgres-20261125T203005Z.sql"]);
    expect(readFileSync(outcome!.files[0]!, "utf8")).to.contain("CREATE DATABASE zitadel");

    writeFileSync(path.join(dir, "port"), String(fresh!.port)); // the new major's container, same name
    expect(await fresh!.psql("SELECT count(*) FROM pg_database WHERE datname = 'zitadel'")).to.equal("0");
    const restored = await runner.restorePostgres("staging", "unix:///var/run/docker.sock", outcome!.files[0]!);
    expect(restored).to.deep.equal({ ok: true, summary: "3 databases, 1 tables, 250 rows equal to the dump" });
    expect(await fresh!.psql("SELECT count(*), sum(id), max(name) FROM users", "zitadel")).to.equal("250|31375|user-99");
    expect(await fresh!.psql("SELECT string_agg(name, ',' ORDER BY id) FROM users WHERE id <= 3", "zitadel")).to.equal("user-1,user-2,user-3");
    expect(planPostgresRestore("staging", "/b/x.sql")).to.equal(
      "sed -e '/^CREATE ROLE postgres;$/d' /b/x.sql | docker exec -i myoci-staging-postgres psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -f -",
    );
  });

  it("a restore that meets an SQL error stops there and fails (ON_ERROR_STOP), naming the error", async () => {
    const server = await startPostgres();
    try {
      const dump = path.join(dir, "broken.sql");
      writeFileSync(dump, "CREATE TABLE t (id int);\nINSERT INTO t VALUES ('not a number');\nCREATE TABLE after_error (id int);\n");
      writeFileSync(path.join(dir, "port"), String(server.port));
      const runner = new HostBackupRunner(
        () => WHEN,
        () => localShell(env),
      );
      const restored = await runner.restorePostgres("staging", "unix:///x", dump);
      expect(restored.ok).to.equal(false);
      expect(restored.error).to.match(/^restore of .*broken\.sql failed \(exit 3, stopped at the first SQL error\): .*invalid input syntax for type integer/);
      expect(await server.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'after_error'")).to.equal("0");
    } finally {
      await server.stop();
    }
  });

  it("a restore is compared with its dump: a missing database, table or row count is named", async () => {
    const source = await startPostgres();
    const target = await startPostgres();
    try {
      await source.psql("CREATE DATABASE app");
      await source.psql('CREATE TABLE "Mixed Case" (id int); INSERT INTO "Mixed Case" SELECT generate_series(1, 7); CREATE TABLE empty (id int)', "app");
      writeFileSync(path.join(dir, "port"), String(source.port));
      const runner = new HostBackupRunner(
        () => new Date("2026-11-26T00:00:00Z"),
        () => localShell(env),
      );
      const backups = path.join(dir, "compare");
      const outcome = (await runner.backup({ stack: "staging", dockerHost: "unix:///x", component: "postgres", dir: backups, keep: 5, postgresMajor: 16 }))!;
      const shell = localShell(env);
      const dumped = parseManifest((await shell(planDumpManifest(outcome.files[0]!))).stdout);
      expect([...dumped.tables]).to.deep.equal([
        ['app|public."Mixed Case"', 7],
        ["app|public.empty", 0],
      ]);
      writeFileSync(path.join(dir, "port"), String(target.port));
      const restored = await runner.restorePostgres("staging", "unix:///x", outcome.files[0]!);
      expect(restored.ok, restored.error).to.equal(true);
      await target.psql('DELETE FROM "Mixed Case" WHERE id > 5; DROP TABLE empty', "app");
      const live = parseManifest((await shell(planLiveManifest("staging"))).stdout);
      expect(compareManifests(dumped, live)).to.deep.equal(['app: public."Mixed Case" has 5 rows, the dump 7', "app: table public.empty missing"]);
      await target.psql("DROP DATABASE app");
      expect(compareManifests(dumped, parseManifest((await shell(planLiveManifest("staging"))).stdout))).to.include("database app missing");
    } finally {
      await source.stop();
      await target.stop();
    }
  });

  it("a failed dump leaves no backup file and reports the error", async () => {
    writeFileSync(path.join(dir, "port"), "1"); // nothing listens on port 1
    const backups = path.join(dir, "failed");
    const runner = new HostBackupRunner(
      () => WHEN,
      () => localShell(env),
    );
    const outcome = await runner.backup({ stack: "prod", dockerHost: "unix:///x", component: "postgres", dir: backups, keep: 5, postgresMajor: 16 });
    expect(outcome!.ok).to.equal(false);
    expect(outcome!.error).to.match(/^backup of postgres failed \(exit 1\): .*connection/);
    expect(readdirSync(backups)).to.deep.equal([]);
  });

  it("volume archive via docker cp, then only the newest K remain", async () => {
    const data = path.join(dir, "containers", "myoci-prod-grafana", "var", "lib", "grafana");
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, "grafana.db"), "sqlite bytes");
    const backups = path.join(dir, "archives");
    mkdirSync(backups);
    for (const day of ["20", "21", "22"]) {
      writeFileSync(path.join(backups, `prod-grafana-202611${day}T000000Z.tar.gz`), "old");
    }
    const step = planBackup("prod", "grafana", backups, WHEN)!;
    const outcome = await runBackup(localShell(env), step, "prod", backups, 2);
    expect(outcome).to.deep.equal({
      ok: true,
      files: [`${backups}/prod-grafana-20261125T203005Z.tar.gz`],
      deleted: ["prod-grafana-20261120T000000Z.tar.gz", "prod-grafana-20261121T000000Z.tar.gz"],
    });
    expect(readdirSync(backups).sort()).to.deep.equal(["prod-grafana-20261122T000000Z.tar.gz", "prod-grafana-20261125T203005Z.tar.gz"]);
    expect(execFileSync("tar", ["-tzf", outcome.files[0]!], { encoding: "utf8" }).split("\n").filter(Boolean).sort()).to.deep.equal([
      "grafana/",
      "grafana/grafana.db",
    ]);
  });
});
