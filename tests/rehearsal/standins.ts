/**
 * The images the rehearsal runs in place of the pinned ones (which cannot be pulled here). Real Debian programs
 * where they exist — Caddy, coturn's turnserver, PostgreSQL 15, Python for the forwarder — and small stand-ins
 * elsewhere. Each stand-in sits at the path of the upstream image's ENTRYPOINT (cited), so the declared `command`
 * reaches it as it would reach the real program; it checks the files and variables the program declares, then
 * answers HTTP (1.1 and h2c, via Caddy) on the ports the real program listens on, with every path 200 and the body
 * `standin <service>:<port> <protocol> <path>`. The catalog's healthchecks run unchanged against them.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { ComponentId } from "../../catalog";
import type { Podman } from "../helpers/podman";
import { Rootfs } from "../helpers/podman-rootfs";

export const BASE_IMAGE = "localhost/myoci-rehearsal-base:1";
export const PYTHON_BASE_IMAGE = "localhost/myoci-rehearsal-python:3-debian";
const PG_BIN = "/usr/lib/postgresql/15/bin";
const PATH_ENV = `${PG_BIN}:/usr/local/bin:/usr/bin:/bin`;

/** `serve NAME PORT…`: Caddy answering every path on each port (HTTP/1.1 and h2c); /standin/extra.caddy is imported first. */
const SERVE = `#!/bin/sh
name=$1; shift
conf=/tmp/standin-$$.caddy
{
  echo "{"; echo "  admin off"; echo "  auto_https off"; echo "  servers {"; echo "    protocols h1 h2c"; echo "  }"; echo "}"
  for port in "$@"; do
    echo ":$port {"
    for extra in /standin/extra.caddy /tmp/standin-extra.caddy; do if [ -f "$extra" ]; then echo "  import $extra"; fi; done
    echo "  respond \\"standin $name:$port {http.request.proto} {http.request.uri.path}\\" 200"
    echo "}"
  done
} > "$conf"
export HOME=/tmp XDG_DATA_HOME=/tmp/caddy-data XDG_CONFIG_HOME=/tmp/caddy-config
exec /usr/bin/caddy run --config "$conf" --adapter caddyfile
`;

const fail = (what: string) => `{ echo "stand-in: ${what}" >&2; exit 1; }`;

export interface StandIn {
  /** Upstream ENTRYPOINT/CMD/USER/ENV of the pinned image (cited), which the stand-in reproduces. */
  readonly source: string;
  readonly entrypoint: readonly string[];
  readonly cmd?: readonly string[];
  readonly user?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Files put into the image (path → content, executable). */
  readonly files: Readonly<Record<string, string>>;
  /** Folders with an owner, e.g. `/var/lib/turn` for nobody. */
  readonly folders?: readonly { path: string; uid: number; gid: number }[];
  /** Whether the image carries the PostgreSQL server (a bigger layer). */
  readonly postgresServer?: boolean;
  /** True for the real Debian program rather than a stand-in. */
  readonly real: boolean;
}

/** server.yml's auth-users (`user:bcrypt:role`) and auth-access (`user:topic:perm`) as Caddy basicauth per topic. */
const NTFY_AUTH_AWK = String.raw`/^auth-users:/ { s = "u"; next }
/^auth-access:/ { s = "a"; next }
/^[^ -]/ { s = "" }
s != "" && /^ *- / {
  line = $0; sub(/^ *- *"?/, "", line); sub(/"? *$/, "", line)
  split(line, f, ":")
  if (s == "u") hash[f[1]] = f[2]; else { k++; user[k] = f[1]; topic[k] = f[2] }
}
END {
  for (i = 1; i <= k; i++) {
    printf "basicauth /%s/* {\n  %s %s\n}\n", topic[i], user[i], hash[user[i]]
    # A Caddyfile backtick token (character 96) holds the JSON without escapes.
    printf "respond /%s/json %c{\"event\":\"open\",\"topic\":\"%s\"}%c 200\n", topic[i], 96, topic[i], 96
    granted = granted " /" topic[i] "/json"
  }
  # Every other topic is forbidden (auth-default-access deny-all).
  printf "@denied {\n  path_regexp ^/[^/]+/json$\n"
  if (granted != "") printf "  not path%s\n", granted
  printf "}\nrespond @denied %c{\"code\":40301,\"http\":403,\"error\":\"forbidden\"}%c 403\n", 96, 96
}
`;

/** The stand-ins, by catalog component. */
export function standIns(): Partial<Record<ComponentId, StandIn>> {
  return {
    caddy: {
      real: true,
      source:
        "caddyserver/caddy-docker 2.10/alpine Dockerfile: CMD caddy run --config /etc/caddy/Caddyfile --adapter caddyfile; XDG_CONFIG_HOME=/config, XDG_DATA_HOME=/data",
      entrypoint: [],
      cmd: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
      env: { XDG_CONFIG_HOME: "/config", XDG_DATA_HOME: "/data" },
      files: {},
    },
    coturn: {
      real: true,
      source:
        "coturn/coturn docker/coturn/debian/Dockerfile: ENTRYPOINT docker-entrypoint.sh (prepends turnserver to arguments starting with -), USER nobody:nogroup",
      entrypoint: ["docker-entrypoint.sh"],
      cmd: ["--log-file=stdout"],
      user: "nobody:nogroup",
      files: { "/usr/local/bin/docker-entrypoint.sh": `#!/bin/sh\nif [ "\${1#-}" != "$1" ]; then set -- turnserver "$@"; fi\nexec "$@"\n` },
      folders: [{ path: "/var/lib/turn", uid: 65534, gid: 65534 }],
    },
    postgres: {
      real: true,
      postgresServer: true,
      source:
        "docker-library/postgres 16/alpine3.22 Dockerfile (PGDATA=/var/lib/postgresql/data, user postgres uid 70, ENTRYPOINT docker-entrypoint.sh, CMD postgres) and docker-entrypoint.sh (initdb --username=postgres --pwfile from POSTGRES_PASSWORD_FILE, host all all all scram-sha-256, /docker-entrypoint-initdb.d/*.sql, listen_addresses='*'); Debian's PostgreSQL 15 server stands in for 16",
      entrypoint: ["docker-entrypoint.sh"],
      cmd: ["postgres"],
      env: { PGDATA: "/var/lib/postgresql/data", PATH: PATH_ENV },
      folders: [{ path: "/var/run/postgresql", uid: 70, gid: 70 }],
      files: {
        "/usr/local/bin/docker-entrypoint.sh": `#!/bin/sh
set -e
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R 70:70 "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec /usr/bin/setpriv --reuid=70 --regid=70 --clear-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "$POSTGRES_PASSWORD_FILE" ]; then POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE"); fi
  test -n "$POSTGRES_PASSWORD" || ${fail("no POSTGRES_PASSWORD(_FILE)")}
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  initdb --username=postgres --pwfile=/tmp/pwfile -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if ls /docker-entrypoint-initdb.d/*.sql >/dev/null 2>&1; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    for f in /docker-entrypoint-initdb.d/*.sql; do psql -v ON_ERROR_STOP=1 -U postgres -d postgres -f "$f"; done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
fi
if [ "$1" = postgres ]; then shift; exec postgres -c listen_addresses='*' "$@"; fi
exec "$@"
`,
      },
    },
    loki: {
      real: false,
      source: "grafana/loki cmd/loki/Dockerfile@v3.7.2: ENTRYPOINT /usr/bin/loki, CMD -config.file=/etc/loki/local-config.yaml; -health from 3.6.5",
      entrypoint: ["/usr/bin/loki"],
      cmd: ["-config.file=/etc/loki/local-config.yaml"],
      files: {
        "/usr/bin/loki": `#!/bin/sh
case "$1" in -health) exec wget -q -O /dev/null http://127.0.0.1:3100/ready;; esac
for a in "$@"; do case "$a" in -config.file=*) conf="\${a#-config.file=}";; esac; done
test -r "$conf" || ${fail("loki: no config file $conf")}
port=$(awk '/http_listen_port:/ {print $2; exit}' "$conf")
exec /standin/serve loki "$port"
`,
      },
    },
    promtail: {
      real: false,
      source: "grafana/loki clients/cmd/promtail/Dockerfile@v3.0.0: ENTRYPOINT /usr/bin/promtail, CMD -config.file=/etc/promtail/config.yml (ubuntu, bash)",
      entrypoint: ["/usr/bin/promtail"],
      cmd: ["-config.file=/etc/promtail/config.yml"],
      files: {
        "/usr/bin/promtail": `#!/bin/sh
for a in "$@"; do case "$a" in -config.file=*) conf="\${a#-config.file=}";; esac; done
test -r "$conf" || ${fail("promtail: no config file $conf")}
test -S /var/run/docker.sock || ${fail("promtail: no Docker socket")}
port=$(awk '/http_listen_port:/ {print $2; exit}' "$conf")
exec /standin/serve promtail "$port"
`,
      },
    },
    alloy: {
      real: false,
      source: "grafana/alloy Dockerfile@v1.18.1: ENTRYPOINT /bin/alloy, CMD run /etc/alloy/config.alloy --storage.path=/var/lib/alloy/data (ubuntu, bash)",
      entrypoint: ["/bin/alloy"],
      cmd: ["run", "/etc/alloy/config.alloy", "--storage.path=/var/lib/alloy/data"],
      files: {
        "/bin/alloy": `#!/bin/sh
test "$1" = run || ${fail("alloy: expected run")}
shift; port=12345
for a in "$@"; do case "$a" in --server.http.listen-addr=*) port="\${a##*:}";; -*) ;; *) conf="$a";; esac; done
test -r "$conf" || ${fail("alloy: no config file $conf")}
test -S /var/run/docker.sock || ${fail("alloy: no Docker socket")}
exec /standin/serve alloy "$port"
`,
      },
    },
    grafana: {
      real: false,
      source: "grafana/grafana Dockerfile: ENTRYPOINT /run.sh, USER 472, port 3000 (alpine, curl)",
      entrypoint: ["/run.sh"],
      user: "472",
      files: {
        "/run.sh": `#!/bin/sh
test -r "$GF_SECURITY_ADMIN_PASSWORD__FILE" || ${fail("grafana: admin password file unreadable")}
ls /etc/grafana/provisioning/datasources/*.yaml >/dev/null || ${fail("grafana: no provisioned datasource")}
exec /standin/serve grafana 3000
`,
      },
    },
    netdata: {
      real: false,
      source:
        "netdata/netdata packaging/docker/Dockerfile: ENTRYPOINT /usr/sbin/run.sh, HEALTHCHECK /usr/sbin/health.sh (the stand-in's health.sh is its own: it fetches /api/v1/info)",
      entrypoint: ["/usr/sbin/run.sh"],
      files: {
        "/usr/sbin/run.sh": `#!/bin/sh\ntest -d /host/proc || ${fail("netdata: no /host/proc")}\nexec /standin/serve netdata 19999\n`,
        "/usr/sbin/health.sh": "#!/bin/sh\nexec wget -q -O /dev/null http://127.0.0.1:19999/api/v1/info\n",
      },
    },
    ntfy: {
      real: false,
      source:
        "binwiederhier/ntfy Dockerfile: ENTRYPOINT ntfy (reads /etc/ntfy/server.yml); the stand-in serves each topic server.yml grants (auth-access) to its declared user and bcrypt hash (auth-users) only, as auth-default-access deny-all does",
      entrypoint: ["ntfy"],
      files: {
        "/usr/bin/ntfy": `#!/bin/sh
test "$1" = serve || ${fail("ntfy: expected serve")}
test -r /etc/ntfy/server.yml || ${fail("ntfy: no /etc/ntfy/server.yml")}
port=$(sed -n 's/^listen-http: *"\\{0,1\\}[^:"]*:\\([0-9]*\\)"\\{0,1\\} *$/\\1/p' /etc/ntfy/server.yml)
awk -f /standin/ntfy-auth.awk /etc/ntfy/server.yml > /tmp/standin-extra.caddy
exec /standin/serve ntfy "\${port:-80}"
`,
        "/standin/ntfy-auth.awk": NTFY_AUTH_AWK,
        "/standin/extra.caddy": String.raw`respond /v1/health "{\"healthy\":true}" 200
`,
      },
    },
    netbirdManagement: {
      real: false,
      source: "netbirdio/netbird management/Dockerfile@v0.76.1: ENTRYPOINT /go/bin/netbird-mgmt management (ubuntu, bash); gRPC and HTTP on --port",
      entrypoint: ["/go/bin/netbird-mgmt", "management"],
      cmd: ["--log-file", "console"],
      files: {
        "/go/bin/netbird-mgmt": `#!/bin/sh
port=443
while [ $# -gt 0 ]; do case "$1" in --port) port="$2"; shift;; --port=*) port="\${1#--port=}";; esac; shift; done
test -r /etc/netbird/management.json || ${fail("netbird management: no /etc/netbird/management.json")}
exec /standin/serve netbird-management "$port"
`,
      },
    },
    netbirdSignal: {
      real: false,
      source:
        "netbirdio/netbird signal/Dockerfile, signal/cmd/run.go@v0.76.1: ENTRYPOINT /go/bin/netbird-signal run; --port 80, legacy gRPC 10000, metrics 9090",
      entrypoint: ["/go/bin/netbird-signal", "run"],
      cmd: ["--log-file", "console"],
      files: { "/go/bin/netbird-signal": "#!/bin/sh\nexec /standin/serve netbird-signal 80 10000 9090\n" },
    },
    netbirdRelay: {
      real: false,
      source:
        "netbirdio/netbird relay/Dockerfile, relay/cmd/root.go@v0.76.1: ENTRYPOINT /go/bin/netbird-relay; NB_LISTEN_ADDRESS, NB_AUTH_SECRET, metrics 9090",
      entrypoint: ["/go/bin/netbird-relay"],
      files: {
        "/go/bin/netbird-relay": `#!/bin/sh
test -n "$NB_AUTH_SECRET" || ${fail("relay: no NB_AUTH_SECRET")}
test -n "$NB_EXPOSED_ADDRESS" || ${fail("relay: no NB_EXPOSED_ADDRESS")}
exec /standin/serve netbird-relay "\${NB_LISTEN_ADDRESS##*:}" 9090
`,
      },
    },
    netbirdDashboard: {
      real: false,
      source: "netbirdio/dashboard docker/Dockerfile: nginx on 80 under supervisord",
      entrypoint: ["/usr/bin/supervisord", "-c", "/etc/supervisord.conf"],
      files: {
        "/usr/bin/supervisord": `#!/bin/sh\ntest -n "$AUTH_AUTHORITY" || ${fail("dashboard: no AUTH_AUTHORITY")}\nexec /standin/serve netbird-dashboard 80\n`,
      },
    },
    zitadel: {
      real: false,
      source:
        "zitadel/zitadel build/Dockerfile: ENTRYPOINT /app/zitadel; `zitadel ready`; init as cmd/initialise (verify_user.go, sql/postgres/01_user.sql, 02_database.sql, 03_grant_user.sql) with the Admin credentials, then the User's",
      entrypoint: ["/app/zitadel"],
      env: { PATH: PATH_ENV },
      files: {
        "/app/zitadel": `#!/bin/sh
set -e
case "$1" in ready) exec wget -q -O /dev/null http://127.0.0.1:8080/debug/ready;; esac
test "$1" = start-from-init || ${fail("zitadel: expected start-from-init")}
while [ $# -gt 0 ]; do case "$1" in --masterkeyFile) key="$2"; shift;; --config) conf="$2"; shift;; esac; shift; done
test "$(wc -c < "$key")" -eq 32 || ${fail("zitadel: masterkey is not 32 bytes")}
field() { awk -v section="$1" -v key="$2" '$1==section":"{s=1} s && $1==key":"{v=$2; gsub(/^"|"$/, "", v); print v; exit}' "$conf"; }
host=$(field postgres Host); port=$(field postgres Port); db=$(field postgres Database)
admin=$(field Admin Username); admin_pw=$(field Admin Password); user=$(field User Username); user_pw=$(field User Password)
echo "zitadel stand-in: waiting for $host:$port"
i=0; until pg_isready -q -h "$host" -p "$port"; do i=$((i+1)); test $i -lt 60 || ${fail("zitadel: postgres unreachable")}; sleep 1; done
sql() { PGPASSWORD="$1" psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$2" -d "$3" -c "$4"; }
if [ "$(sql "$admin_pw" "$admin" postgres "SELECT count(*) FROM pg_roles WHERE rolname='$user'")" = 0 ]; then sql "$admin_pw" "$admin" postgres "CREATE USER $user WITH PASSWORD '$user_pw'"; fi
if [ "$(sql "$admin_pw" "$admin" postgres "SELECT count(*) FROM pg_database WHERE datname='$db'")" = 0 ]; then sql "$admin_pw" "$admin" postgres "CREATE DATABASE $db"; fi
sql "$admin_pw" "$admin" postgres "GRANT ALL ON DATABASE $db TO $user"
sql "$user_pw" "$user" "$db" "CREATE SCHEMA IF NOT EXISTS eventstore"
echo "zitadel stand-in: database $db ready for $user"
exec /standin/serve zitadel 8080
`,
      },
    },
  };
}

/** The shared base: busybox, Caddy (serves every stand-in), bash and curl (healthchecks), coturn's tools, psql. */
export async function importBase(podman: Podman, work: string): Promise<void> {
  const fs = new Rootfs(path.join(work, "base"))
    .busybox()
    .binary("/usr/bin/caddy")
    .binary("/bin/bash")
    .binary("/usr/bin/curl")
    .binary("/usr/bin/setpriv")
    .binary("/usr/bin/turnserver")
    .binary("/usr/bin/turnutils_stunclient")
    .binary(`${PG_BIN}/psql`)
    .binary(`${PG_BIN}/pg_isready`)
    .file("/standin/serve", SERVE, 0o755)
    .folder("/config", 0o755)
    .folder("/data", 0o755);
  const tar = `${fs.dir}.tar`;
  execFileSync("tar", ["-C", fs.dir, "-cf", tar, "."]);
  await podman.podman(["import", "--quiet", "--change", `ENV PATH=${PATH_ENV}`, tar, BASE_IMAGE]);
  rmSync(fs.dir, { recursive: true, force: true });
  rmSync(tar, { force: true });
}

/** A Python base for the forwarder's Dockerfile: Debian's python3 and its standard library (no pip, none needed). */
export async function importPythonBase(podman: Podman, work: string): Promise<void> {
  const fs = new Rootfs(path.join(work, "python"))
    .busybox()
    .binary("/usr/bin/python3.11")
    .tree("/usr/lib/python3.11", (source) => !/\/(__pycache__|test|idlelib|tkinter|ensurepip)(\/|$)/.test(source))
    .symlink("/usr/bin/python3", "python3.11")
    .symlink("/usr/local/bin/python", "/usr/bin/python3.11")
    .symlink("/usr/local/bin/python3", "/usr/bin/python3.11");
  const tar = `${fs.dir}.tar`;
  execFileSync("tar", ["-C", fs.dir, "-cf", tar, "."]);
  await podman.podman(["import", "--quiet", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", tar, PYTHON_BASE_IMAGE]);
  rmSync(fs.dir, { recursive: true, force: true });
  rmSync(tar, { force: true });
}

/** Builds `localhost/myoci-rehearsal-<component>:standin` from the base with `podman build`. */
export async function buildStandIn(podman: Podman, work: string, component: ComponentId, standIn: StandIn): Promise<string> {
  const context = mkdtempSync(path.join(work, `ctx-${component}-`));
  const reference = `localhost/myoci-rehearsal-${component.toLowerCase()}:standin`;
  try {
    const lines = [`FROM ${BASE_IMAGE}`];
    // Rootfs writes /etc/passwd, /etc/group and /tmp again (the same as the base's, plus postgres where needed).
    const files = new Rootfs(path.join(context, "files"));
    if (standIn.postgresServer) {
      files
        .binary(`${PG_BIN}/postgres`)
        .binary(`${PG_BIN}/initdb`)
        .binary(`${PG_BIN}/pg_ctl`)
        .tree("/usr/lib/postgresql/15/lib")
        .tree("/usr/share/postgresql/15")
        .tree("/usr/share/zoneinfo")
        .user("postgres", 70, 70, "/var/lib/postgresql");
    }
    for (const [file, content] of Object.entries(standIn.files)) {
      const target = path.join(context, "files", file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content, { mode: 0o755 });
    }
    for (const folder of standIn.folders ?? []) {
      const target = path.join(context, "files", folder.path);
      mkdirSync(target, { recursive: true });
    }
    lines.push("COPY files/ /");
    for (const folder of standIn.folders ?? []) {
      lines.push(`COPY --chown=${folder.uid}:${folder.gid} files${folder.path} ${folder.path}`);
    }
    for (const [key, value] of Object.entries(standIn.env ?? {})) lines.push(`ENV ${key}=${value}`);
    if (standIn.user) lines.push(`USER ${standIn.user}`);
    if (standIn.entrypoint.length > 0) lines.push(`ENTRYPOINT ${JSON.stringify(standIn.entrypoint)}`);
    if (standIn.cmd) lines.push(`CMD ${JSON.stringify(standIn.cmd)}`);
    writeFileSync(path.join(context, "Containerfile"), `${lines.join("\n")}\n`);
    await podman.podman(["build", "--quiet", "--network", "none", "-f", path.join(context, "Containerfile"), "-t", reference, context]);
    return reference;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
