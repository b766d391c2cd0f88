import { expect } from "chai";
import {
  disallowDangerousCapabilities,
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
import { changed, container, fixtureStack, NotApplicable, remoteImage, validate } from "./helpers";

const prod = fixtureStack("prod");
const grafana = container(prod, "grafana");
const netdata = container(prod, "netdata");
const postgres = container(prod, "postgres");
const promtail = container(prod, "promtail");

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
  ];
  it("every container of the generated prod stack passes every container policy", async () => {
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
  it("follows the allowlist in policy config", async () => {
    expect(await validate(disallowDangerousCapabilities, netdata, { allowed: [] })).to.deep.equal([
      "myoci-prod-netdata adds dangerous capabilities SYS_PTRACE, SYS_ADMIN, not allowlisted for netdata.",
    ]);
  });
});

describe("policy require-readonly-docker-socket", () => {
  it("refuses a read-write Docker socket", async () => {
    const rw = changed(promtail, (i) => (i["volumes"].find((v: { hostPath?: string }) => v.hostPath === "/var/run/docker.sock").readOnly = false));
    expect(await validate(requireReadonlyDockerSocket, rw)).to.deep.equal([
      "myoci-prod-promtail mounts the Docker socket /var/run/docker.sock read-write at /var/run/docker.sock: mount it with readOnly = true.",
    ]);
  });
});

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
