import { expect } from "chai";
import {
  disallowDangerousCapabilities,
  disallowHostDevices,
  disallowHostNamespaces,
  disallowPortsWithoutExternalNetwork,
  disallowUnconfinedSecurity,
  disallowWritableHostMounts,
  disallowPlainCredentialEnv,
  disallowPrivilegedContainers,
  disallowPublicPorts,
  requireHealthcheck,
  requireLogRotation,
  requireMemoryLimit,
  requireReadonlyDockerSocket,
  requireRestartPolicy,
} from "../policies";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { RecordedResource } from "../offline/types";
import { packConfigFor, retainOnDeleteFindings } from "../offline/check";
import { changed, container, find, programStack, NotApplicable, remoteImage, replace, validate, validateStack } from "./helpers";

let prod: RecordedResource[];
let grafana: RecordedResource;
let netdata: RecordedResource;
let postgres: RecordedResource;
let promtail: RecordedResource;

before(async () => {
  prod = await programStack("prod");
  grafana = container(prod, "grafana");
  netdata = container(prod, "netdata");
  postgres = container(prod, "postgres");
  promtail = container(prod, "promtail");
});

async function expectNotApplicable(policy: ResourceValidationPolicy): Promise<void> {
  let error: unknown;
  await validate(policy, remoteImage(prod, "grafana")).catch((e: unknown) => (error = e));
  expect(error, policy.name).to.be.instanceOf(NotApplicable);
}

describe("container policies: compliant fixtures", () => {
  const policies = [
    requireHealthcheck,
    requireMemoryLimit,
    requireRestartPolicy,
    requireLogRotation,
    disallowPrivilegedContainers,
    disallowDangerousCapabilities,
    requireReadonlyDockerSocket,
    disallowPublicPorts,
    disallowPlainCredentialEnv,
    disallowWritableHostMounts,
    disallowHostNamespaces,
    disallowUnconfinedSecurity,
    disallowHostDevices,
  ];
  it("every container of the real program's prod stack passes every container policy", async () => {
    for (const policy of policies) {
      for (const r of prod.filter((x) => x.type === "docker:index/container:Container")) {
        expect(await validate(policy, r), `${policy.name} on ${r.name}`).to.deep.equal([]);
      }
    }
  });
  it("none of them applies to a RemoteImage", async () => {
    for (const policy of policies) await expectNotApplicable(policy);
  });
});

describe("policy require-healthcheck", () => {
  it("refuses a container without a healthcheck", async () => {
    expect(
      await validate(
        requireHealthcheck,
        changed(grafana, (i) => delete i["healthcheck"]),
      ),
    ).to.deep.equal(["myoci-prod-grafana has no healthcheck: set healthcheck.tests (the catalog's health test for its component)."]);
  });
  it("refuses a disabled healthcheck", async () => {
    expect(
      await validate(
        requireHealthcheck,
        changed(grafana, (i) => (i["healthcheck"].tests = ["NONE"])),
      ),
    ).to.deep.equal(['myoci-prod-grafana disables its healthcheck (tests = ["NONE"]).']);
  });
  it("refuses a container that does not wait for health", async () => {
    expect(
      await validate(
        requireHealthcheck,
        changed(grafana, (i) => (i["wait"] = false)),
      ),
    ).to.deep.equal(["myoci-prod-grafana does not wait for its healthcheck (wait = false): set wait = true so a rollout fails on an unhealthy container."]);
  });
});

describe("policy require-memory-limit", () => {
  it("refuses a container without a memory limit", async () => {
    expect(
      await validate(
        requireMemoryLimit,
        changed(grafana, (i) => delete i["memory"]),
      ),
    ).to.deep.equal(["myoci-prod-grafana has no memory limit: set memory (MiB; the catalog's memoryMb by default)."]);
  });
  it("refuses a limit below the configured minimum", async () => {
    expect(await validate(requireMemoryLimit, grafana, { minimumMb: 1024 })).to.deep.equal([
      "myoci-prod-grafana has a memory limit of 512 MiB, below the minimum of 1024 MiB.",
    ]);
  });
});

describe("policy require-restart-policy", () => {
  it("refuses a missing or a non-restarting policy", async () => {
    expect(
      await validate(
        requireRestartPolicy,
        changed(grafana, (i) => delete i["restart"]),
      ),
    ).to.deep.equal(['myoci-prod-grafana has restart policy "no": expected one of unless-stopped, always.']);
    expect(
      await validate(
        requireRestartPolicy,
        changed(grafana, (i) => (i["restart"] = "on-failure")),
      ),
    ).to.deep.equal(['myoci-prod-grafana has restart policy "on-failure": expected one of unless-stopped, always.']);
  });
});

describe("policy require-log-rotation", () => {
  it("refuses json-file logs without max-size", async () => {
    expect(
      await validate(
        requireLogRotation,
        changed(grafana, (i) => delete i["logOpts"]["max-size"]),
      ),
    ).to.deep.equal(["myoci-prod-grafana logs with json-file without max-size: its logs would grow without bound."]);
  });
  it("refuses a container without a log driver", async () => {
    expect(
      await validate(
        requireLogRotation,
        changed(grafana, (i) => delete i["logDriver"]),
      ),
    ).to.deep.equal(['myoci-prod-grafana has no log driver set: set logDriver "json-file" with logOpts max-size and max-file.']);
  });
});

describe("policy disallow-privileged-containers", () => {
  it("refuses a privileged container unless its component is allowlisted", async () => {
    const privileged = changed(grafana, (i) => (i["privileged"] = true));
    expect(await validate(disallowPrivilegedContainers, privileged)).to.deep.equal([
      "myoci-prod-grafana runs privileged (full access to the host): drop privileged and add only the capabilities it needs.",
    ]);
    expect(await validate(disallowPrivilegedContainers, privileged, { allowed: [{ component: "grafana", reason: "test" }] })).to.deep.equal([]);
  });
});

describe("policy disallow-dangerous-capabilities", () => {
  it("allows Netdata's allowlisted capabilities but refuses another", async () => {
    expect(await validate(disallowDangerousCapabilities, netdata)).to.deep.equal([]);
    expect(
      await validate(
        disallowDangerousCapabilities,
        changed(netdata, (i) => i["capabilities"].adds.push("CAP_NET_ADMIN")),
      ),
    ).to.deep.equal(["myoci-prod-netdata adds dangerous capability NET_ADMIN, not allowlisted for netdata."]);
  });
  it("refuses Netdata's capabilities on another component", async () => {
    expect(
      await validate(
        disallowDangerousCapabilities,
        changed(grafana, (i) => (i["capabilities"] = { adds: ["SYS_PTRACE", "SYS_ADMIN", "CHOWN"] })),
      ),
    ).to.deep.equal(["myoci-prod-grafana adds dangerous capabilities SYS_PTRACE, SYS_ADMIN, not allowlisted for grafana."]);
  });
  it("adds policy config entries to the built-in exceptions; keepDefaults false drops Netdata's", async () => {
    const grafanaPtrace = changed(grafana, (i) => (i["capabilities"] = { adds: ["SYS_PTRACE"] }));
    const allowed = [{ component: "grafana", capabilities: ["SYS_PTRACE"], reason: "test" }];
    expect(await validate(disallowDangerousCapabilities, grafanaPtrace, { allowed })).to.deep.equal([]);
    expect(await validate(disallowDangerousCapabilities, netdata, { allowed })).to.deep.equal([]);
    expect(await validate(disallowDangerousCapabilities, netdata, { keepDefaults: false })).to.deep.equal([
      "myoci-prod-netdata adds dangerous capability SYS_PTRACE, not allowlisted for netdata.",
    ]);
  });
  it("recognises a capability in every spelling Docker accepts (case, CAP_ prefix, blanks, ALL)", async () => {
    for (const spelling of [" sys_admin", "cap_sys_admin", "Cap_Sys_Admin ", "CAP_SYS_ADMIN"]) {
      expect(
        await validate(
          disallowDangerousCapabilities,
          changed(grafana, (i) => (i["capabilities"] = { adds: [spelling] })),
        ),
        spelling,
      ).to.deep.equal(["myoci-prod-grafana adds dangerous capability SYS_ADMIN, not allowlisted for grafana."]);
    }
    expect(
      await validate(
        disallowDangerousCapabilities,
        changed(netdata, (i) => i["capabilities"].adds.push("all")),
      ),
    ).to.deep.equal(["myoci-prod-netdata adds dangerous capability ALL, not allowlisted for netdata."]);
  });
});

describe("policy require-readonly-docker-socket", () => {
  const socket = (r: RecordedResource) =>
    (r.inputs["volumes"] as { hostPath?: string; readOnly?: boolean }[]).find((v) => v.hostPath === "/var/run/docker.sock")!;
  it("refuses a read-write Docker socket", async () => {
    const rw = changed(promtail, (i) => (socketOf(i).readOnly = false));
    expect(await validate(requireReadonlyDockerSocket, rw)).to.deep.equal([
      "myoci-prod-promtail mounts the Docker socket /var/run/docker.sock read-write (volumes[1] → /var/run/docker.sock): mount it with readOnly = true.",
    ]);
    expect(socket(promtail).readOnly).to.equal(true);
  });
  it("refuses the socket bound read-write through mounts[] (type bind)", async () => {
    const viaMounts = changed(promtail, (i) => {
      i["volumes"] = (i["volumes"] as { hostPath?: string }[]).filter((v) => v.hostPath !== "/var/run/docker.sock");
      i["mounts"] = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }];
    });
    expect(await validate(requireReadonlyDockerSocket, viaMounts)).to.deep.equal([
      "myoci-prod-promtail mounts the Docker socket /var/run/docker.sock read-write (mounts[0] → /var/run/docker.sock): mount it with readOnly = true.",
    ]);
  });
  it("refuses a parent directory of the socket (/var/run, /) mounted read-write", async () => {
    for (const parent of ["/var/run", "/var/run/", "/"]) {
      const viaParent = changed(promtail, (i) => (i["mounts"] = [{ type: "bind", source: parent, target: "/host" }]));
      expect(await validate(requireReadonlyDockerSocket, viaParent), parent).to.deep.equal([
        `myoci-prod-promtail mounts ${parent === "/" ? "/" : "/var/run"} (which contains the Docker socket /var/run/docker.sock) read-write (mounts[0] → /host): mount it with readOnly = true.`,
      ]);
    }
  });
  it("refuses the socket on a component that is not allowlisted, even read-only", async () => {
    const onGrafana = changed(grafana, (i) => i["volumes"].push({ hostPath: "/run", containerPath: "/host/run", readOnly: true }));
    expect(await validate(requireReadonlyDockerSocket, onGrafana)).to.deep.equal([
      "myoci-prod-grafana binds /run (which contains the Docker socket /run/docker.sock) (volumes[1] → /host/run): the Docker API is root on the host; only allowlisted components may see it, with a reason.",
    ]);
  });
});

describe("policy disallow-writable-host-mounts", () => {
  it("passes Netdata's read-only host views", async () => {
    expect(await validate(disallowWritableHostMounts, netdata)).to.deep.equal([]);
  });
  it("refuses /, /etc and /proc bound read-write, in either mount form", async () => {
    const rw = changed(grafana, (i) => {
      i["volumes"].push({ hostPath: "/etc", containerPath: "/host/etc", readOnly: false });
      i["mounts"] = [
        { type: "bind", source: "/proc", target: "/host/proc" },
        { type: "bind", source: "/", target: "/host" },
      ];
    });
    expect(await validate(disallowWritableHostMounts, rw)).to.deep.equal([
      "myoci-prod-grafana binds the host path /etc read-write (volumes[1] → /host/etc), a host system path: mount it read-only or use a named volume.",
      "myoci-prod-grafana binds the host path /proc read-write (mounts[0] → /host/proc), a host system path: mount it read-only or use a named volume.",
      "myoci-prod-grafana binds the host path / read-write (mounts[1] → /host), which contains /etc: mount it read-only or use a named volume.",
    ]);
  });
  it("refuses a path below a system path, and accepts an allowlisted one", async () => {
    const rw = changed(grafana, (i) => i["volumes"].push({ hostPath: "/etc/ssl/private", containerPath: "/keys", readOnly: false }));
    expect(await validate(disallowWritableHostMounts, rw)).to.have.length(1);
    expect(
      await validate(disallowWritableHostMounts, rw, { allowed: [{ component: "grafana", hostPath: "/etc/ssl/private/", reason: "test" }] }),
    ).to.deep.equal([]);
  });
});

describe("policy disallow-host-namespaces", () => {
  it("allows Netdata's documented host PID mode only", async () => {
    expect(netdata.inputs["pidMode"]).to.equal("host");
    expect(await validate(disallowHostNamespaces, netdata)).to.deep.equal([]);
    expect(
      await validate(
        disallowHostNamespaces,
        changed(netdata, (i) => (i["networkMode"] = "host")),
      ),
    ).to.deep.equal([
      'myoci-prod-netdata sets networkMode "host": it shares the host\'s network namespace. Remove it, or allowlist it for netdata with a reason.',
    ]);
  });
  it("refuses host network, PID, IPC and user namespaces elsewhere", async () => {
    const shared = changed(grafana, (i) => {
      i["networkMode"] = "host";
      i["pidMode"] = "HOST";
      i["ipcMode"] = "host";
      i["usernsMode"] = "host";
    });
    expect((await validate(disallowHostNamespaces, shared)).map((m) => m.split(" ")[2])).to.deep.equal(["networkMode", "pidMode", "ipcMode", "usernsMode"]);
  });
});

describe("policy disallow-unconfined-security", () => {
  it("allows Netdata's documented apparmor=unconfined, in either spelling, and nothing else", async () => {
    expect(await validate(disallowUnconfinedSecurity, netdata)).to.deep.equal([]);
    expect(
      await validate(
        disallowUnconfinedSecurity,
        changed(netdata, (i) => (i["securityOpts"] = ["apparmor:unconfined", "seccomp=unconfined"])),
      ),
    ).to.deep.equal(['myoci-prod-netdata sets securityOpts "seccomp=unconfined": it runs without that confinement. Remove it, or allowlist it with a reason.']);
  });
  it("refuses seccomp or AppArmor unconfined on another container", async () => {
    const open = changed(grafana, (i) => (i["securityOpts"] = ["seccomp:unconfined", "apparmor=unconfined", "label=disable", "no-new-privileges"]));
    expect((await validate(disallowUnconfinedSecurity, open)).map((m) => m.split('"')[1])).to.deep.equal([
      "seccomp:unconfined",
      "apparmor=unconfined",
      "label=disable",
    ]);
  });
});

describe("policy disallow-host-devices", () => {
  it("refuses a host device such as /dev/mem", async () => {
    expect(
      await validate(
        disallowHostDevices,
        changed(grafana, (i) => (i["devices"] = [{ hostPath: "/dev/mem", containerPath: "/dev/mem" }])),
      ),
    ).to.deep.equal([
      "myoci-prod-grafana is given the host device /dev/mem (as /dev/mem): raw device access bypasses the container's isolation. Remove it, or allowlist it with a reason.",
    ]);
  });
});

function socketOf(inputs: Record<string, any>): { readOnly?: boolean } {
  return (inputs["volumes"] as { hostPath?: string; readOnly?: boolean }[]).find((v) => v.hostPath === "/var/run/docker.sock")!;
}

describe("policy disallow-public-ports", () => {
  it("refuses Loki on 0.0.0.0:3100", async () => {
    const open = changed(container(prod, "loki"), (i) => (i["ports"][0].ip = "0.0.0.0"));
    expect(await validate(disallowPublicPorts, open)).to.deep.equal([
      "myoci-prod-loki publishes 0.0.0.0:3100/tcp (container port 3100) beyond the host: bind it to 127.0.0.1 or allowlist it with a reason.",
    ]);
  });
  it("treats a port without an address as published on every address", async () => {
    const open = changed(container(prod, "loki"), (i) => delete i["ports"][0].ip);
    expect(await validate(disallowPublicPorts, open)).to.have.length(1);
  });
  it("allows Caddy's edge ports but not another Caddy port on every address", async () => {
    const caddy = container(prod, "caddy");
    expect(await validate(disallowPublicPorts, caddy)).to.deep.equal([]);
    const extra = changed(caddy, (i) => i["ports"].push({ internal: 2019, external: 2019, protocol: "tcp", ip: "0.0.0.0" }));
    expect(await validate(disallowPublicPorts, extra)).to.deep.equal([
      "myoci-prod-caddy publishes 0.0.0.0:2019/tcp (container port 2019) beyond the host: bind it to 127.0.0.1 or allowlist it with a reason.",
    ]);
  });
});

describe("policy disallow-plain-credential-env", () => {
  it("refuses a password in the environment without echoing it", async () => {
    const leaky = changed(postgres, (i) => i["envs"].push("POSTGRES_PASSWORD=hunter2-hunter2-hunter2"));
    const messages = await validate(disallowPlainCredentialEnv, leaky);
    expect(messages).to.deep.equal([
      "myoci-prod-postgres passes POSTGRES_PASSWORD as a plain environment value: upload it as a file and pass POSTGRES_PASSWORD_FILE instead.",
    ]);
    expect(messages.join()).not.to.contain("hunter2");
  });
  it("allows a _FILE path and the NetBird relay's allowlisted secret only on the relay", async () => {
    expect(
      await validate(
        disallowPlainCredentialEnv,
        changed(postgres, (i) => i["envs"].push("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password")),
      ),
    ).to.deep.equal([]);
    expect(
      await validate(
        disallowPlainCredentialEnv,
        changed(container(prod, "netbirdRelay"), (i) => i["envs"].push("NB_AUTH_SECRET=x")),
      ),
    ).to.deep.equal([]);
    expect(
      await validate(
        disallowPlainCredentialEnv,
        changed(grafana, (i) => i["envs"].push("NB_AUTH_SECRET=x")),
      ),
    ).to.have.length(1);
  });
});

describe("policy disallow-plain-credential-env: secrets in any shape", () => {
  it("refuses a credential inside a URL or DSN value, whatever the variable is called, without echoing it", async () => {
    const dsn = changed(grafana, (i) => i["envs"].push("DATABASE_URL=postgres://zitadel:hunter2-hunter2@postgres:5432/zitadel"));
    const messages = await validate(disallowPlainCredentialEnv, dsn);
    expect(messages).to.deep.equal([
      "myoci-prod-grafana carries a URL with an inline password in env DATABASE_URL: keep the password in a file (or a _FILE variable) and leave it out of the URL.",
    ]);
    expect(messages.join()).not.to.contain("hunter2");
    const command = changed(grafana, (i) => (i["command"] = ["--upstream", "https://admin:s3cret@loki:3100"]));
    expect(await validate(disallowPlainCredentialEnv, command)).to.have.length(1);
  });
  it("refuses a *_TOKEN or *_SECRET variable", async () => {
    const leaky = changed(grafana, (i) => i["envs"].push("GF_AUTH_TOKEN=abc", "APP_SECRET=def"));
    expect((await validate(disallowPlainCredentialEnv, leaky)).map((m) => m.split(" ")[2])).to.deep.equal(["GF_AUTH_TOKEN", "APP_SECRET"]);
  });
  it("refuses a value equal to a configured secret, in any variable or label", async () => {
    const saved = { config: process.env["PULUMI_CONFIG"], keys: process.env["PULUMI_CONFIG_SECRET_KEYS"] };
    try {
      process.env["PULUMI_CONFIG"] = JSON.stringify({ "myoci:grafanaAdminPassword": "correct-horse-battery", "myoci:domain": "example.org" });
      process.env["PULUMI_CONFIG_SECRET_KEYS"] = JSON.stringify(["myoci:grafanaAdminPassword"]);
      const leaked = changed(grafana, (i) => i["labels"].push({ label: "note", value: "pw correct-horse-battery" }));
      expect(await validate(disallowPlainCredentialEnv, leaked)).to.deep.equal([
        "myoci-prod-grafana carries the value of a configured secret in label note: pass it as a file upload, never as plain text.",
      ]);
      expect(await validate(disallowPlainCredentialEnv, grafana)).to.deep.equal([]);
    } finally {
      for (const [key, value] of [
        ["PULUMI_CONFIG", saved.config],
        ["PULUMI_CONFIG_SECRET_KEYS", saved.keys],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe("policy disallow-ports-without-external-network (moby/moby#36174)", () => {
  it("passes both shipped stacks: every container that publishes a port has a non-internal network", async () => {
    expect(await validateStack(disallowPortsWithoutExternalNetwork, prod)).to.deep.equal([]);
    expect(await validateStack(disallowPortsWithoutExternalNetwork, await programStack("staging"))).to.deep.equal([]);
  });
  it("refuses a published port on a container attached only to the internal network", async () => {
    const loki = container(prod, "loki");
    const internalOnly = changed(
      loki,
      (i) => (i["networksAdvanced"] = (i["networksAdvanced"] as { name: string }[]).filter((n) => n.name.endsWith("-internal"))),
    );
    expect(await validateStack(disallowPortsWithoutExternalNetwork, replace(prod, internalOnly))).to.deep.equal([
      "myoci-prod-loki publishes 127.0.0.1:3100 but is attached only to internal networks (myoci-prod-internal): Docker does not publish such ports (moby/moby#36174). Attach it to a non-internal network or drop the ports.",
    ]);
  });
  it("decides in a preview from the networks the property depends on", async () => {
    const preview = await programStack("prod", { preview: true });
    expect(await validateStack(disallowPortsWithoutExternalNetwork, preview)).to.deep.equal([]);
  });
});

describe("offline runner: retainOnDelete (not in the Analyzer protocol)", () => {
  it("reports a data volume without retainOnDelete under require-protected-data-volumes", async () => {
    const config = packConfigFor("prod");
    expect(retainOnDeleteFindings(prod, config)).to.deep.equal([]);
    const volume = find(prod, "docker:index/volume:Volume", "postgres");
    const unretained = changed(volume, (_, r) => (r.opts["retainOnDelete"] = false));
    expect(retainOnDeleteFindings(replace(prod, unretained), config).map((f) => [f.policy, f.level, f.resource?.name])).to.deep.equal([
      ["require-protected-data-volumes", "mandatory", volume.name],
    ]);
  });
});
