import { expect } from "chai";
import { LABEL } from "../../catalog";
import { renderCaddyfile } from "../../components/edge/caddyfile";
import { evaluateProgram, type EvaluationResult, type RecordedResource } from "../../program/evaluate";
import { FIXTURE_PROJECT, fixturePin, fixturePins } from "../helpers/fixture-project";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const PINNED = /^[a-z0-9.-]+\/[a-z0-9._/-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/;

const byName = (result: EvaluationResult, name: string): RecordedResource => {
  const found = result.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
const labels = (r: RecordedResource) => Object.fromEntries((r.inputs["labels"] as { label: string; value: string }[]).map((l) => [l.label, l.value]));
const pinsOf = (stack: string): Record<string, { tag: string; digest: string }> => fixturePins(stack as "staging" | "prod");

describe("the platform under Pulumi mocks", function () {
  this.timeout(60000);
  const stacks: Record<string, EvaluationResult> = {};

  before(async () => {
    stacks["prod"] = await evaluateProgram({ stack: "prod", projectDir: FIXTURE_PROJECT });
    stacks["staging"] = await evaluateProgram({ stack: "staging", projectDir: FIXTURE_PROJECT });
  });

  it("renders all ten service components in both stacks", () => {
    const services = (result: EvaluationResult) =>
      result.resources
        .filter((r) => r.type.startsWith("myoci:") && r.type !== "myoci:base:ServiceContainer" && r.type !== "myoci:identity:ZitadelBootstrap")
        .map((r) => r.type)
        .sort();
    const common = [
      "myoci:edge:Caddy",
      "myoci:identity:Postgres",
      "myoci:identity:Zitadel",
      "myoci:monitoring:Grafana",
      "myoci:monitoring:Loki",
      "myoci:monitoring:Netdata",
      "myoci:monitoring:Ntfy",
      "myoci:monitoring:TelegramForwarder",
      "myoci:vpn:NetBird",
    ];
    expect(services(stacks["prod"]!)).to.deep.equal([...common, "myoci:monitoring:Promtail"].sort());
    expect(services(stacks["staging"]!)).to.deep.equal([...common, "myoci:monitoring:Alloy"].sort());
    for (const result of Object.values(stacks)) {
      // Besides the services: the Zitadel bootstrap, a component around one command.
      expect(result.resources.filter((r) => r.type === "myoci:identity:ZitadelBootstrap")).to.have.length(1);
      expect(result.resources.filter((r) => r.type === CONTAINER)).to.have.length(14);
      expect(result.resources.filter((r) => r.type === REMOTE_IMAGE)).to.have.length(13);
    }
  });

  it("pins every image by tag and digest from the stack file; nothing floats", () => {
    for (const [stack, result] of Object.entries(stacks)) {
      const pins = pinsOf(stack);
      const names = result.resources.filter((r) => r.type === REMOTE_IMAGE).map((r) => String(r.inputs["name"]));
      for (const name of names) {
        expect(name).to.match(PINNED);
        expect(name).not.to.match(/:latest[@]/);
        const digest = name.split("@")[1];
        expect(Object.values(pins).map((p) => p.digest)).to.include(digest);
      }
      const forwarder = result.resources.find((r) => r.type === "docker:index/image:Image")!;
      expect((forwarder.inputs["build"] as { args: Record<string, string> }).args["BASE_IMAGE"]).to.equal(
        `docker.io/library/python:3.12-alpine@${pins["forwarderBase"]!.digest}`,
      );
      for (const container of result.resources.filter((r) => r.type === CONTAINER)) {
        expect(labels(container)[LABEL.digest]).to.match(/^sha256:[0-9a-f]{64}$/);
      }
    }
  });

  describe("Grafana in prod, exactly as declared", () => {
    const grafana = () => byName(stacks["prod"]!, "grafana-server-container");
    const reference = () => `docker.io/grafana/grafana:12.0.2@${pinsOf("prod")["grafana"]!.digest}`;

    it("pulls the pinned image by tag and digest and runs the container on it", () => {
      expect(byName(stacks["prod"]!, "grafana-server-image").inputs).to.deep.equal({ name: reference(), keepLocally: true });
      expect(grafana().inputs["name"]).to.equal("myoci-prod-grafana");
      expect(grafana().inputs["image"]).to.equal(`sha256-of:${reference()}`);
    });

    it("checks health with the catalog's healthcheck", () => {
      expect(grafana().inputs["healthcheck"]).to.deep.equal({
        tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:3000/api/health"],
        interval: "30s",
        timeout: "5s",
        retries: 3,
        startPeriod: "30s",
        startInterval: "2s",
      });
    });

    it("waits for health, restarts unless stopped, limits memory, runs unprivileged as 472 and rotates its logs", () => {
      const { inputs } = grafana();
      expect([inputs["wait"], inputs["waitTimeout"], inputs["restart"], inputs["memory"], inputs["privileged"], inputs["user"]]).to.deep.equal([
        true,
        180,
        "unless-stopped",
        512,
        false,
        "472",
      ]);
      expect([inputs["logDriver"], inputs["logOpts"]]).to.deep.equal(["json-file", { "max-size": "10m", "max-file": "3" }]);
    });

    it("publishes its port on 127.0.0.1 only, mounts its data volume and joins the internal and edge networks", () => {
      const { inputs } = grafana();
      expect(inputs["ports"]).to.deep.equal([{ internal: 3000, external: 3000, protocol: "tcp", ip: "127.0.0.1" }]);
      expect(inputs["volumes"]).to.deep.equal([{ volumeName: "myoci-prod-grafana-var-lib-grafana", containerPath: "/var/lib/grafana", readOnly: false }]);
      expect(inputs["networksAdvanced"]).to.deep.equal([
        { name: "myoci-prod-internal", aliases: ["grafana"] },
        { name: "myoci-prod-edge", aliases: ["grafana"] },
      ]);
    });

    it("labels the container with component, stack, manager, version and digest", () => {
      expect(labels(grafana())).to.deep.equal({
        [LABEL.component]: "grafana",
        [LABEL.stack]: "prod",
        [LABEL.managedBy]: "myoci",
        [LABEL.version]: "12.0.2",
        [LABEL.digest]: pinsOf("prod")["grafana"]!.digest,
      });
    });

    it("configures Grafana through its environment, the admin password from a file", () => {
      expect(grafana().inputs["envs"]).to.deep.equal([
        "GF_SERVER_ROOT_URL=https://grafana.example.org",
        "GF_SECURITY_ADMIN_USER=admin",
        "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana_admin_password",
        "GF_USERS_ALLOW_SIGN_UP=false",
        "GF_ANALYTICS_REPORTING_ENABLED=false",
      ]);
    });

    it("uploads the password file as a secret and the Loki datasource", () => {
      const uploads = grafana().inputs["uploads"] as { file: string; content: string }[];
      expect(uploads.map((u) => u.file)).to.deep.equal(["/run/secrets/grafana_admin_password", "/etc/grafana/provisioning/datasources/myoci-loki.yaml"]);
      expect(uploads[1]!.content).to.include("url: http://loki:3100");
      expect(grafana().secretPaths).to.deep.equal(["uploads.0.content"]);
    });

    it("keeps its data volume protected and retained on delete", () => {
      const volume = byName(stacks["prod"]!, "grafana-server-var-lib-grafana");
      expect(volume.opts.protect).to.equal(true);
      expect(volume.opts.retainOnDelete).to.equal(true);
      expect(labels(volume)[LABEL.data]).to.equal("true");
    });
  });

  it("declares every prod container with its name, pinned image, healthcheck, limits, networks, ports and volumes", () => {
    const prod = stacks["prod"]!;
    const pins = pinsOf("prod");
    // resource, component, container name, memory MiB, networks:aliases, first port binding (count), volumes
    const expected: [string, string, string, number, string, string, number, number][] = [
      ["loki-server-container", "loki", "myoci-prod-loki", 1024, "internal:loki loopback:loki", "127.0.0.1:3100->3100/tcp", 1, 1],
      ["promtail-agent-container", "promtail", "myoci-prod-promtail", 256, "internal:promtail loopback:promtail", "127.0.0.1:9080->9080/tcp", 1, 2],
      ["grafana-server-container", "grafana", "myoci-prod-grafana", 512, "internal:grafana edge:grafana", "127.0.0.1:3000->3000/tcp", 1, 1],
      ["netdata-agent-container", "netdata", "myoci-prod-netdata", 512, "internal:netdata loopback:netdata", "127.0.0.1:19999->19999/tcp", 1, 9],
      ["ntfy-server-container", "ntfy", "myoci-prod-ntfy", 128, "internal:ntfy edge:ntfy", "127.0.0.1:8090->80/tcp", 1, 2],
      [
        "telegram-forwarder-forwarder-container",
        "forwarderBase",
        "myoci-prod-telegram-forwarder",
        64,
        "internal:telegram-forwarder edge:telegram-forwarder",
        "",
        0,
        0,
      ],
      ["postgres-server-container", "postgres", "myoci-prod-postgres", 512, "internal:postgres", "", 0, 1],
      ["zitadel-server-container", "zitadel", "myoci-prod-zitadel", 512, "internal:zitadel edge:zitadel", "127.0.0.1:8080->8080/tcp", 1, 1],
      [
        "netbird-management-container",
        "netbirdManagement",
        "myoci-prod-netbird-management",
        256,
        "internal:netbird-management edge:netbird-management",
        "127.0.0.1:33073->80/tcp",
        1,
        1,
      ],
      [
        "netbird-signal-container",
        "netbirdSignal",
        "myoci-prod-netbird-signal",
        128,
        "internal:netbird-signal edge:netbird-signal",
        "127.0.0.1:10000->80/tcp",
        1,
        0,
      ],
      [
        "netbird-relay-container",
        "netbirdRelay",
        "myoci-prod-netbird-relay",
        128,
        "internal:netbird-relay edge:netbird-relay",
        "127.0.0.1:33080->80/tcp",
        1,
        0,
      ],
      [
        "netbird-dashboard-container",
        "netbirdDashboard",
        "myoci-prod-netbird-dashboard",
        64,
        "internal:netbird-dashboard edge:netbird-dashboard",
        "127.0.0.1:8081->80/tcp",
        1,
        0,
      ],
      ["netbird-coturn-container", "coturn", "myoci-prod-coturn", 128, "edge:coturn", "0.0.0.0:3478->3478/udp", 43, 0],
      ["caddy-proxy-container", "caddy", "myoci-prod-caddy", 256, "edge:caddy", "0.0.0.0:80->80/tcp", 3, 2],
    ];
    const containers = prod.resources.filter((r) => r.type === CONTAINER);
    expect(containers.map((c) => c.name).sort()).to.deep.equal(expected.map((e) => e[0]).sort());
    for (const [resource, component, name, memory, networks, firstPort, portCount, volumeCount] of expected) {
      const { inputs } = byName(prod, resource);
      const ports = (inputs["ports"] as { ip: string; external: number; internal: number; protocol: string }[] | undefined) ?? [];
      const actual = [
        inputs["name"],
        inputs["memory"],
        (inputs["networksAdvanced"] as { name: string; aliases: string[] }[])
          .map((n) => `${n.name.replace("myoci-prod-", "")}:${n.aliases.join(",")}`)
          .join(" "),
        ports[0] ? `${ports[0].ip}:${ports[0].external}->${ports[0].internal}/${ports[0].protocol}` : "",
        ports.length,
        (inputs["volumes"] as unknown[] | undefined)?.length ?? 0,
        inputs["wait"],
        inputs["restart"],
        labels(byName(prod, resource))[LABEL.component],
        labels(byName(prod, resource))[LABEL.digest],
      ];
      expect(actual, resource).to.deep.equal([
        name,
        memory,
        networks,
        firstPort,
        portCount,
        volumeCount,
        true,
        "unless-stopped",
        component,
        pins[component]!.digest,
      ]);
      const healthcheck = inputs["healthcheck"] as { tests: string[]; retries: number };
      expect(healthcheck.tests.length, `${resource} healthcheck`).to.be.greaterThan(1);
      expect(healthcheck.retries).to.equal(3);
    }
  });

  it("checks Loki 3.0 through its shell (busybox wget) and Loki 3.7, which has no shell, with its own -health", () => {
    expect((byName(stacks["prod"]!, "loki-server-container").inputs["healthcheck"] as { tests: string[] }).tests[0]).to.equal("CMD-SHELL");
    expect((byName(stacks["staging"]!, "loki-server-container").inputs["healthcheck"] as { tests: string[] }).tests).to.deep.equal([
      "CMD",
      "/usr/bin/loki",
      "-health",
    ]);
  });

  it("protects every data volume and names it per stack", () => {
    for (const [stack, result] of Object.entries(stacks)) {
      const all = result.resources.filter((r) => r.type === VOLUME);
      const volumes = all.filter((v) => labels(v)[LABEL.data] === "true");
      // The one other volume holds Zitadel's first-instance PAT in memory (tmpfs): nothing to keep.
      expect(all.filter((v) => !volumes.includes(v)).map((v) => [v.inputs["name"], v.inputs["driverOpts"]])).to.deep.equal([
        [`myoci-${stack}-zitadel-bootstrap`, { type: "tmpfs", device: "tmpfs", o: "mode=1777" }],
      ]);
      expect(volumes.map((v) => v.inputs["name"]).sort()).to.deep.equal(
        [
          "caddy-config",
          "caddy-data",
          "grafana-var-lib-grafana",
          "loki-loki",
          "netbird-management-var-lib-netbird",
          "netdata-etc-netdata",
          "netdata-var-cache-netdata",
          "netdata-var-lib-netdata",
          "ntfy-var-cache-ntfy",
          "ntfy-var-lib-ntfy",
          "postgres-var-lib-postgresql-data-pg16",
          stack === "prod" ? "promtail-var-lib-promtail" : "alloy-var-lib-alloy-data",
        ]
          .map((suffix) => `myoci-${stack}-${suffix}`)
          .sort(),
      );
      for (const volume of volumes) {
        expect([volume.name, volume.opts.protect, volume.opts.retainOnDelete]).to.deep.equal([volume.name, true, true]);
      }
    }
  });

  it("publishes only Caddy and coturn on all addresses; everything else on 127.0.0.1", () => {
    const publicPorts = stacks["prod"]!.resources.filter((r) => r.type === CONTAINER).flatMap((r) =>
      ((r.inputs["ports"] as { ip: string; internal: number; protocol: string }[] | undefined) ?? [])
        .filter((p) => p.ip !== "127.0.0.1")
        .map((p) => `${String(r.inputs["name"])}:${p.internal}/${p.protocol}`),
    );
    expect(publicPorts.filter((p) => p.startsWith("myoci-prod-caddy"))).to.deep.equal([
      "myoci-prod-caddy:80/tcp",
      "myoci-prod-caddy:443/tcp",
      "myoci-prod-caddy:443/udp",
    ]);
    expect(publicPorts.filter((p) => p.startsWith("myoci-prod-coturn"))).to.have.length(2 + 41);
    expect(publicPorts.filter((p) => !p.startsWith("myoci-prod-caddy") && !p.startsWith("myoci-prod-coturn"))).to.deep.equal([]);
    const postgres = byName(stacks["prod"]!, "postgres-server-container");
    expect(postgres.inputs["ports"]).to.deep.equal([]);
  });

  it("gives Netdata its host views read-only, SYS_PTRACE with a reason, and the host PID namespace", () => {
    const netdata = byName(stacks["prod"]!, "netdata-agent-container");
    expect(netdata.inputs["capabilities"]).to.deep.equal({ adds: ["SYS_PTRACE"], drops: [] });
    expect(labels(netdata)[LABEL.capabilityReason]).to.equal("apps.plugin reads per-process metrics of the host (Netdata Docker install docs)");
    expect(netdata.inputs["pidMode"]).to.equal("host");
    const hostMounts = (netdata.inputs["volumes"] as { hostPath?: string; readOnly: boolean }[]).filter((v) => v.hostPath);
    expect(hostMounts.map((v) => `${v.hostPath}:${v.readOnly}`)).to.deep.equal([
      "/proc:true",
      "/sys:true",
      "/etc/os-release:true",
      "/etc/passwd:true",
      "/etc/group:true",
      "/var/run/docker.sock:true",
    ]);
  });

  it("keeps every credential a secret and out of the stack outputs", () => {
    const prod = stacks["prod"]!;
    const secretFiles = prod.resources.filter((r) => r.type === CONTAINER).flatMap((r) => (r.secretPaths ?? []).map((p) => `${String(r.inputs["name"])}:${p}`));
    expect(secretFiles.sort()).to.deep.equal(
      [
        "myoci-prod-coturn:uploads.0.content",
        "myoci-prod-grafana:uploads.0.content",
        "myoci-prod-netbird-management:uploads.0.content",
        "myoci-prod-netbird-relay:envs.3",
        "myoci-prod-ntfy:uploads.0.content",
        "myoci-prod-postgres:uploads.0.content",
        "myoci-prod-telegram-forwarder:uploads.0.content",
        "myoci-prod-telegram-forwarder:uploads.1.content",
        "myoci-prod-zitadel:uploads.0.content",
        "myoci-prod-zitadel:uploads.1.content",
      ].sort(),
    );
    expect(JSON.stringify(prod.outputs)).not.to.include("offline-placeholder");
    expect(Object.keys(prod.outputs["images"] as object)).to.have.length(14);
  });

  it("generates the Caddyfile from the routes the services declare (gRPC to Zitadel as h2c)", () => {
    const caddy = byName(stacks["prod"]!, "caddy-proxy-container");
    const caddyfile = (caddy.inputs["uploads"] as { file: string; content: string }[])[0]!;
    expect(caddyfile.file).to.equal("/etc/caddy/Caddyfile");
    expect(caddyfile.content).to.include("auth.example.org {\n\treverse_proxy h2c://zitadel:8080\n}");
    expect(caddyfile.content).to.include("\treverse_proxy /management.ManagementService/* h2c://netbird-management:80\n");
  });

  it("renders one site block per host, sorted, a path route before the host's catch-all", () => {
    expect(
      renderCaddyfile(
        [
          { host: "b.example.org", upstream: "b:80", transport: "http" },
          { host: "a.example.org", upstream: "a:80", transport: "http" },
          { host: "a.example.org", path: "/api/*", upstream: "api:80", transport: "h2c" },
        ],
        "ops@example.org",
      ),
    ).to.equal(
      "{\n\temail ops@example.org\n}\n\na.example.org {\n\treverse_proxy /api/* h2c://api:80\n\treverse_proxy a:80\n}\n\nb.example.org {\n\treverse_proxy b:80\n}\n",
    );
  });

  it("labels a declared Postgres migration, mounts a fresh volume for the new major and keeps the old one protected", async () => {
    const result = await evaluateProgram({
      stack: "staging",
      projectDir: FIXTURE_PROJECT,
      configOverrides: {
        postgresMigration: { from: 16, to: 17 },
        images: { ...pinsOf("staging"), postgres: fixturePin("postgres", "17.6-alpine") },
      },
    });
    const postgres = byName(result, "postgres-server-container");
    expect(labels(postgres)[LABEL.postgresDataMajor]).to.equal("16");
    expect(labels(postgres)[LABEL.postgresMigration]).to.equal("16->17");
    expect(postgres.inputs["volumes"]).to.deep.equal([
      { volumeName: "myoci-staging-postgres-var-lib-postgresql-data-pg17", containerPath: "/var/lib/postgresql/data", readOnly: false },
    ]);
    const previous = byName(result, "postgres-previous-data");
    expect([previous.inputs["name"], previous.opts.protect]).to.deep.equal(["myoci-staging-postgres-var-lib-postgresql-data-pg16", true]);
  });

  it("fails before declaring any resource when the config is invalid, listing every problem", async () => {
    let error: unknown;
    try {
      await evaluateProgram({
        stack: "staging",
        projectDir: FIXTURE_PROJECT,
        configOverrides: { dockerHost: "ftp://x", images: { ...pinsOf("staging"), loki: { tag: "latest", digest: "sha256:abc" } } },
      });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.include("Invalid stack config (3 problems)");
    expect(String(error)).to.include("Pulumi.staging.yaml: myoci:images.loki.digest");
  });
});
