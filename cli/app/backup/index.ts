/**
 * Backups before stateful updates. Scripts are generated as pure functions and run on the Docker host
 * (locally with `sh -c`, or over SSH for an ssh:// host), so dump files land on the host, not on the operator's laptop.
 * - pg_dumpall: `docker exec <container> pg_dumpall -U postgres > <dir>/<stack>-postgres-<UTC>.sql` (via a .partial
 *   file renamed on success, so a failed dump never counts as a backup);
 * - volume-archive: `docker cp <container>:<data path> - > <file>.tar` then gzip — no helper image needed (works for
 *   distroless images and stopped containers), one archive per data path.
 * Keep the last K backups per stack and component (pure selection, then `rm`).
 */
import { execFile } from "node:child_process";
import { CATALOG, containerName, postgresDataPath, type ComponentId } from "../../../catalog";

/** Single-quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `20261125T203000Z` — sorts as time, safe in file names. */
export function backupTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

export interface BackupStep {
  readonly component: ComponentId;
  readonly kind: "pg_dumpall" | "volume-archive";
  /** Files the step writes on the Docker host. */
  readonly files: readonly string[];
  /** POSIX shell script for the Docker host. */
  readonly script: string;
}

const segment = (containerPath: string): string => containerPath.split("/").filter(Boolean).join("_") || "root";

/**
 * The backup of one component before an update (undefined when the catalog says `none`).
 * `postgresMajor`: the major whose data the postgres volume holds (its data path depends on it).
 */
export function planBackup(stack: string, component: ComponentId, dir: string, date: Date, postgresMajor?: number): BackupStep | undefined {
  const entry = CATALOG[component];
  const container = containerName(stack, component);
  const stamp = backupTimestamp(date);
  const base = `${dir.replace(/\/+$/, "")}/${stack}-${component}-${stamp}`;
  if (entry.backup === "pg_dumpall") {
    const file = `${base}.sql`;
    const script = [
      `mkdir -p ${shellQuote(dir)}`,
      `docker exec ${shellQuote(container)} pg_dumpall -U postgres > ${shellQuote(`${file}.partial`)}`,
      `mv ${shellQuote(`${file}.partial`)} ${shellQuote(file)}`,
    ].join(" && ");
    return { component, kind: "pg_dumpall", files: [file], script: `${script} || { rm -f ${shellQuote(`${file}.partial`)}; exit 1; }` };
  }
  if (entry.backup === "volume-archive") {
    const paths = component === "postgres" && postgresMajor !== undefined ? [postgresDataPath(postgresMajor)] : entry.dataPaths;
    const files = paths.map((p) => (paths.length === 1 ? `${base}.tar.gz` : `${base}--${segment(p)}.tar.gz`));
    const commands = [`mkdir -p ${shellQuote(dir)}`];
    paths.forEach((p, i) => {
      const tar = files[i]!.replace(/\.gz$/, "");
      commands.push(`docker cp ${shellQuote(`${container}:${p}`)} - > ${shellQuote(tar)}`, `gzip -f ${shellQuote(tar)}`);
    });
    return { component, kind: "volume-archive", files, script: commands.join(" && ") };
  }
  return undefined;
}

/**
 * Restores a pg_dumpall file into the (new, freshly initialised) postgres container: the `--migrate` path.
 * With ON_ERROR_STOP, so any SQL error fails the restore. The one statement a fresh cluster must refuse is dropped
 * first: `CREATE ROLE postgres;` (pg_dumpall emits CREATE ROLE for every role, the bootstrap superuser included;
 * its `ALTER ROLE postgres …` that follows still runs).
 */
export function planPostgresRestore(stack: string, dumpFile: string): string {
  return `sed -e '/^CREATE ROLE postgres;$/d' ${shellQuote(dumpFile)} | docker exec -i ${shellQuote(containerName(stack, "postgres"))} psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -f -`;
}

/**
 * What a pg_dumpall file holds, one line per database (`db|`) and per table (`db|schema.table|rows`): databases
 * from its `\connect` lines, tables and row counts from its `COPY … FROM stdin;` blocks (one line per row in
 * COPY text format, ended by `\.`). Runs with awk on the Docker host, where the dump is.
 */
export function planDumpManifest(dumpFile: string): string {
  const program = [
    String.raw`/^\\connect -reuse-previous=on "dbname='/ { db = $0; sub(/^[^']*'/, "", db); sub(/'"$/, "", db); print db "|"; next }`,
    String.raw`/^\\connect / { db = $2; gsub(/"/, "", db); print db "|"; next }`,
    String.raw`/^COPY .* FROM stdin;$/ { table = $0; sub(/^COPY /, "", table); sub(/ \(.*\) FROM stdin;$/, "", table); sub(/ FROM stdin;$/, "", table); rows = 0; copying = 1; next }`,
    String.raw`copying && /^\\\.$/ { print db "|" table "|" rows; copying = 0; next }`,
    String.raw`copying { rows++ }`,
  ].join("\n");
  return `awk ${shellQuote(program)} ${shellQuote(dumpFile)}`;
}

/** The same lines for the running server: every database that allows connections, its tables and exact row counts. */
export function planLiveManifest(stack: string): string {
  const container = shellQuote(containerName(stack, "postgres"));
  const tables =
    "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name), " +
    "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text " +
    "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";
  return [
    `docker exec ${container} psql -X -A -t -v ON_ERROR_STOP=1 -U postgres -d postgres -c ${shellQuote("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1")} |`,
    `while IFS= read -r db; do`,
    `  echo "$db|"`,
    `  out=$(docker exec ${container} psql -X -A -t -F '|' -v ON_ERROR_STOP=1 -U postgres -d "$db" -c ${shellQuote(tables)}) || exit 1`,
    `  [ -z "$out" ] || printf '%s\\n' "$out" | sed "s/^/$db|/"`,
    `done`,
  ].join("\n");
}

export interface Manifest {
  readonly databases: ReadonlySet<string>;
  /** `db|schema.table` → rows */
  readonly tables: ReadonlyMap<string, number>;
}

export function parseManifest(text: string): Manifest {
  const databases = new Set<string>();
  const tables = new Map<string, number>();
  for (const line of text.split("\n")) {
    const parts = line.split("|");
    if (parts.length === 2 && parts[1] === "" && parts[0] !== "") {
      databases.add(parts[0]!);
    } else if (parts.length === 3 && /^\d+$/.test(parts[2]!)) {
      databases.add(parts[0]!);
      tables.set(`${parts[0]}|${parts[1]}`, (tables.get(`${parts[0]}|${parts[1]}`) ?? 0) + Number(parts[2]));
    }
  }
  return { databases, tables };
}

/** Differences between what was dumped and what the restored server holds (empty: every database, table and row count is there). */
export function compareManifests(dumped: Manifest, restored: Manifest): string[] {
  const problems: string[] = [];
  for (const db of [...dumped.databases].sort()) {
    if (!restored.databases.has(db)) {
      problems.push(`database ${db} missing`);
    }
  }
  for (const [key, rows] of [...dumped.tables].sort(([a], [b]) => a.localeCompare(b))) {
    const [db, table] = key.split("|") as [string, string];
    const got = restored.tables.get(key);
    if (got === undefined) {
      problems.push(`${db}: table ${table} missing`);
    } else if (got !== rows) {
      problems.push(`${db}: ${table} has ${got} rows, the dump ${rows}`);
    }
  }
  return problems;
}

const BACKUP_NAME = /^(.+)-(\d{8}T\d{6}Z)(--[^/]+)?\.(sql|tar\.gz)$/;

/** Files to delete so that only the newest `keep` backups (by timestamp) of stack/component remain. */
export function selectForDeletion(fileNames: readonly string[], stack: string, component: ComponentId, keep: number): string[] {
  const prefix = `${stack}-${component}`;
  const byStamp = new Map<string, string[]>();
  for (const name of fileNames) {
    const match = BACKUP_NAME.exec(name);
    if (!match || match[1] !== prefix) {
      continue;
    }
    byStamp.set(match[2]!, [...(byStamp.get(match[2]!) ?? []), name]);
  }
  const stamps = [...byStamp.keys()].sort().reverse();
  return stamps
    .slice(Math.max(keep, 0))
    .reverse()
    .flatMap((stamp) => byStamp.get(stamp)!.sort()); // oldest first
}

export interface ShellResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a shell script on the Docker host. */
export type HostShell = (script: string) => Promise<ShellResult>;

export function localShell(env: NodeJS.ProcessEnv = process.env): HostShell {
  return (script) =>
    new Promise((resolve) => {
      execFile("sh", ["-c", script], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
}

/** `ssh user@host '<script>'` — the remote login shell runs the script. */
export function sshShell(destination: string, port?: number): HostShell {
  return (script) =>
    new Promise((resolve) => {
      execFile(
        "ssh",
        ["-o", "BatchMode=yes", ...(port !== undefined ? ["-p", String(port)] : []), destination, script],
        { maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
}

/** The shell of a stack's Docker host (unix:// → this machine; ssh://user@host[:port] → over SSH). */
export function shellForDockerHost(dockerHost: string): HostShell {
  const ssh = /^ssh:\/\/([^@]+@[^:/]+)(?::(\d+))?$/.exec(dockerHost);
  if (ssh) {
    return sshShell(ssh[1]!, ssh[2] !== undefined ? Number(ssh[2]) : undefined);
  }
  if (dockerHost.startsWith("unix://")) {
    return localShell({ ...process.env, DOCKER_HOST: dockerHost });
  }
  return async () => ({ code: 1, stdout: "", stderr: `${dockerHost}: backups need a shell on the Docker host (unix:// or ssh://)` });
}

export interface BackupOutcome {
  readonly ok: boolean;
  readonly files: readonly string[];
  readonly deleted: readonly string[];
  readonly error?: string;
}

/** Runs a planned backup, then prunes old ones of the same stack/component. */
export async function runBackup(shell: HostShell, step: BackupStep, stack: string, dir: string, keep: number): Promise<BackupOutcome> {
  const result = await shell(step.script);
  if (result.code !== 0) {
    return {
      ok: false,
      files: [],
      deleted: [],
      error: `backup of ${step.component} failed (exit ${result.code}): ${result.stderr.trim().split("\n").slice(-3).join(" ")}`,
    };
  }
  const listing = await shell(`ls -1 ${shellQuote(dir)}`);
  const doomed = listing.code === 0 ? selectForDeletion(listing.stdout.split("\n").filter(Boolean), stack, step.component, keep) : [];
  if (doomed.length > 0) {
    await shell(`cd ${shellQuote(dir)} && rm -f -- ${doomed.map(shellQuote).join(" ")}`);
  }
  return { ok: true, files: step.files, deleted: doomed };
}

/** One backup request of the rollout (dir and keep come from the stack's `myoci:backups`). */
export interface BackupRequest {
  readonly stack: string;
  readonly dockerHost: string;
  readonly component: ComponentId;
  readonly dir: string;
  readonly keep: number;
  /** Major whose data the postgres volume holds. */
  readonly postgresMajor: number;
}

/** What the rollout calls: back up a component of a stack before its update; restore a dump after a migration. */
export interface RestoreOutcome {
  readonly ok: boolean;
  readonly error?: string;
  /** What was compared, e.g. "3 databases, 12 tables, 1234 rows equal to the dump". */
  readonly summary?: string;
}

export interface BackupRunner {
  backup(request: BackupRequest): Promise<BackupOutcome | undefined>;
  /** Restores the dump into the new major, then proves it: databases, tables and row counts equal to the dump's. */
  restorePostgres(stack: string, dockerHost: string, dumpFile: string): Promise<RestoreOutcome>;
}

export class HostBackupRunner implements BackupRunner {
  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly shellFor: (dockerHost: string) => HostShell = shellForDockerHost,
  ) {}

  async backup(request: BackupRequest): Promise<BackupOutcome | undefined> {
    const step = planBackup(request.stack, request.component, request.dir, this.now(), request.postgresMajor);
    return step ? runBackup(this.shellFor(request.dockerHost), step, request.stack, request.dir, request.keep) : undefined;
  }

  async restorePostgres(stack: string, dockerHost: string, dumpFile: string): Promise<RestoreOutcome> {
    const shell = this.shellFor(dockerHost);
    const tail = (r: ShellResult): string => r.stderr.trim().split("\n").slice(-3).join(" ");
    const restore = await shell(planPostgresRestore(stack, dumpFile));
    if (restore.code !== 0) {
      return { ok: false, error: `restore of ${dumpFile} failed (exit ${restore.code}, stopped at the first SQL error): ${tail(restore)}` };
    }
    const dumped = await shell(planDumpManifest(dumpFile));
    const live = await shell(planLiveManifest(stack));
    if (dumped.code !== 0 || live.code !== 0) {
      return { ok: false, error: `restored ${dumpFile}, but comparing it with the dump failed: ${tail(dumped.code !== 0 ? dumped : live)}` };
    }
    const source = parseManifest(dumped.stdout);
    const problems = compareManifests(source, parseManifest(live.stdout));
    if (problems.length > 0) {
      return {
        ok: false,
        error: `restored ${dumpFile}, but it differs from the dump: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? ` (+${problems.length - 10} more)` : ""}`,
      };
    }
    const rows = [...source.tables.values()].reduce((a, b) => a + b, 0);
    return { ok: true, summary: `${source.databases.size} databases, ${source.tables.size} tables, ${rows} rows equal to the dump` };
  }
}
