/**
 * The rehearsal: the stack the real program renders for a fixture config, created on podman through the Docker
 * Engine API as declared (deploy.ts), with real Debian programs where they exist (Caddy, coturn, PostgreSQL, the
 * forwarder built from its Dockerfile) and stand-ins elsewhere (standins.ts). What it proves and what it cannot:
 * docs/rehearsal.md.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as dgram from "node:dgram";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CATALOG, isComponentId, LABEL, TURN_RELAY_PORTS, type ComponentId } from "../../catalog";
import type { EvaluationResult, RecordedResource } from "../../program/evaluate";
import { DockerApi, tarOf } from "../helpers/podman-api";
import { podmanAvailable, startPodman, type Podman } from "../helpers/podman";
import { postgresBinDir } from "../helpers/postgres-server";
import { createBody, deployStack, removeStaleNetworkState, type DeployedContainer } from "./deploy";
import { evaluateRehearsal, REHEARSAL_DOMAIN } from "./fixture";
import { declaredContainers, type DeclaredContainer } from "./generated-files";
import { buildStandIn, importBase, importPythonBase, PYTHON_BASE_IMAGE, standIns } from "./standins";

const has = (program: string) => spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
const canRun = podmanAvailable() && has("caddy") && has("turnserver") && postgresBinDir()?.includes("/15/") === true && existsSync("/usr/bin/python3.11");
const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

interface Inspect {
  Name: string;
  Config: { User: string; Labels: Record<string, string>; Env: string[] };
  State: { Running: boolean };
  HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[]>; Memory: number };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
}

/** One HTTP(S) GET; resolves the status and body, or the error code when nothing answers. */
function get(url: string, options: https.RequestOptions = {}): Promise<{ status?: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const lib = url.startsWith("https:") ? https : http;
    const request = lib.get(url, { timeout: 5000, ...options }, (response) => {
      let body = "";
      response.on("data", (c: Buffer) => (body += c.toString()));
      response.on("end", () => resolve({ status: response.statusCode, body }));
    });
    request.on("timeout", () => request.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    request.on("error", (e: NodeJS.ErrnoException) => resolve({ body: "", error: e.code ?? e.message }));
  });
}

/** A non-loopback IPv4 address of this machine (what a client off the host would reach). */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === "IPv4" && !a.internal && !a.address.startsWith("10.88.") && !a.address.startsWith("10.89."))?.address;
}

/**
 * The declared edge ports must be free on this machine (Debian's caddy and coturn packages start services on
 * 80/443/3478 where systemd runs): a clear error instead of a publish failure deep in the deployment.
 */
async function edgePortsFree(resources: readonly RecordedResource[]): Promise<void> {
  const edge = resources
    .filter((r) => r.type === "docker:index/container:Container")
    .flatMap((r) => (r.inputs["ports"] as { ip: string; external: number; protocol: string }[]).filter((p) => p.ip !== "127.0.0.1"))
    .filter((p) => p.external < TURN_RELAY_PORTS.from); // the relay range is checked by the publish itself
  for (const p of edge) {
    const inUse = await new Promise<boolean>((resolve) => {
      if (p.protocol === "udp") {
        const socket = dgram.createSocket("udp4");
        socket.once("error", () => resolve(true));
        socket.bind(p.external, "0.0.0.0", () => socket.close(() => resolve(false)));
      } else {
        const server = net.createServer();
        server.once("error", () => resolve(true));
        server.listen(p.external, "0.0.0.0", () => server.close(() => resolve(false)));
      }
    });
    if (inUse) {
      throw new Error(
        `port ${p.external}/${p.protocol} is in use on this machine; the rehearsal publishes it as declared (a caddy or coturn service from the Debian packages? systemctl disable --now caddy coturn)`,
      );
    }
  }
}

(canRun && asRoot ? describe : describe.skip)("rehearsal: the rendered stack on podman (Docker Engine API)", function () {
  this.timeout(300_000);
  let evaluation: EvaluationResult;
  let declared: DeclaredContainer[];
  let podman: Podman;
  let api: DockerApi;
  let work: string;
  let deployed: DeployedContainer[];
  const timings: Record<string, number> = {};
  const inspect = (name: string) => api.json<Inspect>("GET", `/containers/${encodeURIComponent(name)}/json`);
  const componentOf = (r: RecordedResource): ComponentId => {
    const label = ((r.inputs["labels"] as { label: string; value: string }[]) ?? []).find((l) => l.label === LABEL.component)?.value ?? "";
    if (!isComponentId(label)) throw new Error(`${String(r.inputs["name"])}: no component label`);
    return label;
  };

  before(async () => {
    let at = Date.now();
    const lap = (what: string) => {
      timings[what] = (Date.now() - at) / 1000;
      at = Date.now();
    };
    evaluation = await evaluateRehearsal("alloy");
    declared = declaredContainers(evaluation.resources);
    lap("evaluate");
    await edgePortsFree(evaluation.resources);
    removeStaleNetworkState(evaluation.resources, /^mr(\d+)n\d+$/);
    podman = await startPodman();
    api = new DockerApi(podman.dockerHost.replace(/^unix:\/\//, ""));
    work = mkdtempSync(path.join(os.tmpdir(), "myoci-rehearsal-"));
    await Promise.all([importBase(podman, work), importPythonBase(podman, work)]);
    lap("base images");

    const recipes = standIns();
    const images = new Map<ComponentId, string>();
    // One at a time (parallel builds were no faster on 2 cores): each is FROM base + COPY, no RUN.
    for (const c of new Set(declared.map((d) => componentOf(d.resource)))) {
      const recipe = recipes[c];
      if (recipe) images.set(c, await buildStandIn(podman, work, c, recipe));
    }
    lap("stand-in images");

    // The forwarder image, built from the project's Dockerfile as the docker.Image resource declares it; only
    // BASE_IMAGE differs (the pinned python:3.12-alpine cannot be pulled here).
    const image = evaluation.resources.find((r) => r.type === "docker:index/image:Image")!;
    const build = image.inputs["build"] as { context: string; dockerfile: string; args: Record<string, string> };
    const args = Object.entries({ ...build.args, BASE_IMAGE: PYTHON_BASE_IMAGE }).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    await podman.podman(["build", "--quiet", "--network", "none", "-f", build.dockerfile, ...args, "-t", String(image.inputs["imageName"]), build.context]);
    lap("forwarder image");

    const socket = podman.dockerHost.replace(/^unix:\/\//, "");
    deployed = await deployStack(api, evaluation.resources, {
      imageFor: (r) => (componentOf(r) === "forwarderBase" ? String(r.inputs["image"]) : images.get(componentOf(r))!),
      hostPath: (p) => (p === "/var/run/docker.sock" ? socket : p),
      healthTimeoutSeconds: 120,
      bridgeName: (_network, index) => `mr${process.pid % 100000}n${index}`,
    });
    lap("deploy until healthy");
  });

  after(async () => {
    await podman?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`      rehearsal timings (s): ${JSON.stringify(timings)}`);
  });

  it("creates every declared container and each turns healthy by its own declared healthcheck", async () => {
    const names = declared.map((c) => c.name).sort();
    expect(deployed.map((d) => d.name).sort()).to.deep.equal(names);
    for (const c of declared) {
      const test = (c.resource.inputs["healthcheck"] as { tests: string[] }).tests;
      const result = await api.execHealthTest(c.name, test);
      expect(result.exitCode, `${c.name} ${JSON.stringify(test)}: ${result.output}`).to.equal(0);
      expect((await inspect(c.name)).State.Running, c.name).to.equal(true);
    }
    // The runner keeps CMD arguments whole (a check that can fail: podman's own run would split this one).
    const probe = declared[0]!.name;
    expect((await api.execHealthTest(probe, ["CMD", "/bin/sh", "-c", "exit 3"])).exitCode).to.equal(3);
    expect((await api.execHealthTest(probe, ["CMD-SHELL", "exit 4"])).exitCode).to.equal(4);
  });

  it("runs each container with the declared user, labels, memory, mounts, networks and aliases", async () => {
    for (const c of declared) {
      const state = await inspect(c.name);
      const i = c.resource.inputs;
      expect(state.Config.User, c.name).to.equal(typeof i["user"] === "string" ? i["user"] : state.Config.User);
      for (const { label, value } of i["labels"] as { label: string; value: string }[])
        expect(state.Config.Labels[label], `${c.name} ${label}`).to.equal(value);
      expect(state.HostConfig.Memory, c.name).to.equal(Number(i["memory"]) * 1024 * 1024);
      for (const v of (i["volumes"] as { volumeName?: string; hostPath?: string; containerPath: string; readOnly: boolean }[]) ?? []) {
        const mount = state.Mounts.find((m) => m.Destination === v.containerPath);
        expect(mount, `${c.name} ${v.containerPath}`).to.not.equal(undefined);
        if (v.volumeName) expect(mount!.Name, `${c.name} ${v.containerPath}`).to.equal(v.volumeName);
        expect(mount!.RW, `${c.name} ${v.containerPath} writable`).to.equal(!v.readOnly);
      }
      for (const n of i["networksAdvanced"] as { name: string; aliases: string[] }[]) {
        expect(state.NetworkSettings.Networks, c.name).to.have.property(n.name);
        expect(state.NetworkSettings.Networks[n.name]!.Aliases ?? [], `${c.name} on ${n.name}`).to.include.members(n.aliases);
      }
      expect(Object.keys(state.NetworkSettings.Networks).sort(), c.name).to.deep.equal((i["networksAdvanced"] as { name: string }[]).map((n) => n.name).sort());
    }
    // The internal network is created internal.
    const networks = await api.json<{ Name: string; Internal: boolean }[]>("GET", "/networks");
    const declaredNetworks = evaluation.resources.filter((r) => r.type === "docker:index/network:Network");
    for (const n of declaredNetworks) {
      expect(networks.find((x) => x.Name === n.inputs["name"])?.Internal, String(n.inputs["name"])).to.equal(n.inputs["internal"] === true);
    }
  });

  it("puts every declared file into its container (archive PUT), byte for byte", async () => {
    let count = 0;
    for (const c of declared) {
      for (const [file, content] of c.files) {
        expect((await api.getFile(c.name, file)).toString() === content, `${c.name}:${file}`).to.equal(true);
        count++;
      }
    }
    expect(count).to.equal(declared.reduce((n, c) => n + c.files.size, 0));
  });

  it("answers on every published loopback port, and publishes nothing on another address except the edge ports", async () => {
    const outside = outsideAddress();
    const edge = new Set<string>();
    for (const c of declared) {
      const state = await inspect(c.name);
      for (const [port, bindings] of Object.entries(state.HostConfig.PortBindings ?? {})) {
        for (const b of bindings) {
          if (b.HostIp === "127.0.0.1") continue;
          edge.add(`${c.name} ${b.HostPort}/${port.split("/")[1]}`);
        }
      }
      // Declared edge ports only: the catalog's edge ports (Caddy, coturn) and coturn's relay range.
      for (const p of (c.resource.inputs["ports"] as { ip: string; external: number; internal: number; protocol: string }[]) ?? []) {
        if (p.ip !== "127.0.0.1") {
          const component = componentOf(c.resource);
          expect(["caddy", "coturn"], `${c.name} publishes ${p.external}/${p.protocol} on ${p.ip}`).to.include(component);
        }
      }
    }
    expect(
      [...edge].every((e) => /^myoci-rehearsal-(caddy|coturn) /.test(e)),
      [...edge].join(", "),
    ).to.equal(true);

    const answers: string[] = [];
    for (const c of declared) {
      const probe = CATALOG[componentOf(c.resource)].health.probe;
      for (const p of (c.resource.inputs["ports"] as { ip: string; external: number; internal: number; protocol: string }[]) ?? []) {
        if (p.ip !== "127.0.0.1" || p.protocol !== "tcp") continue;
        const answer = await get(`http://127.0.0.1:${p.external}${probe?.port === p.internal ? probe.path : "/"}`);
        answers.push(`${c.name} 127.0.0.1:${p.external} → ${answer.status ?? answer.error}`);
        expect(answer.status, `${c.name} on 127.0.0.1:${p.external}: ${answer.error ?? ""}`).to.equal(200);
        if (outside) {
          const fromOutside = await get(`http://${outside}:${p.external}/`);
          expect(fromOutside.status, `${c.name} answered on ${outside}:${p.external}`).to.equal(undefined);
        }
      }
    }
    expect(answers.length).to.be.greaterThan(0);
  });

  it("Caddy (the real program, declared Caddyfile) reaches each upstream by its network alias, gRPC routes over h2c", async () => {
    const caddyfile = declared.find((c) => c.name.endsWith("-caddy"))!.files.get("/etc/caddy/Caddyfile")!;
    const routes: { host: string; path: string; upstream: string; h2c: boolean }[] = [];
    let host = "";
    for (const line of caddyfile.split("\n")) {
      const site = /^(\S+) \{$/.exec(line);
      if (site) host = site[1]!;
      const proxy = /^\treverse_proxy (?:(\/\S*) )?(\S+)$/.exec(line);
      if (proxy) {
        const upstream = proxy[2]!.replace(/^h2c:\/\//, "");
        routes.push({ host, path: (proxy[1] ?? "/").replace(/\*$/, "probe"), upstream, h2c: proxy[2]!.startsWith("h2c://") });
      }
    }
    expect(routes.length).to.be.greaterThan(5);
    const agent = new https.Agent({ rejectUnauthorized: false });
    for (const route of routes) {
      const answer = await get(`https://127.0.0.1:443${route.path}`, { agent, servername: route.host, headers: { host: route.host } });
      expect(answer.status, `${route.host}${route.path}: ${answer.error ?? answer.body}`).to.equal(200);
      expect(answer.body, `${route.host}${route.path}`).to.equal(`standin ${route.upstream} ${route.h2c ? "HTTP/2.0" : "HTTP/1.1"} ${route.path}`);
    }
    const redirect = await get("http://127.0.0.1:80/", { headers: { host: `grafana.${REHEARSAL_DOMAIN}` } });
    expect(redirect.status).to.equal(308);
    // The edge answers on the host's other addresses too (the loopback-only ports do not: previous test).
    const outside = outsideAddress();
    if (outside) {
      const route = routes[0]!;
      const answer = await get(`https://${outside}:443${route.path}`, { agent, servername: route.host, headers: { host: route.host } });
      expect(answer.status, `${outside}:443 ${answer.error ?? ""}`).to.equal(200);
    }
  });

  it("coturn (the real turnserver, declared config) answers STUN on the published edge port", () => {
    const stun = spawnSync("turnutils_stunclient", ["-p", "3478", "127.0.0.1"], { timeout: 5000 });
    expect(stun.status, stun.stdout.toString()).to.equal(0);
    expect(stun.stdout.toString()).to.include("UDP reflexive addr");
  });

  it("PostgreSQL (the real server) keeps its data in the declared volume, and Zitadel's init created its role and database there", async () => {
    const postgres = declared.find((c) => componentOf(c.resource) === "postgres")!;
    const state = await inspect(postgres.name);
    const data = state.Mounts.find((m) => m.Type === "volume")!;
    expect(existsSync(path.join(data.Source, "PG_VERSION")), `${data.Source}/PG_VERSION`).to.equal(true);
    expect(readFileSync(path.join(data.Source, "PG_VERSION"), "utf8").trim()).to.equal("15");
    const roles = await podman.podman([
      "exec",
      postgres.name,
      "psql",
      "-X",
      "-A",
      "-t",
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-c",
      "SELECT rolname FROM pg_roles WHERE rolname = 'zitadel'",
    ]);
    expect(roles).to.equal("zitadel");
    const schema = await podman.podman([
      "exec",
      postgres.name,
      "psql",
      "-X",
      "-A",
      "-t",
      "-U",
      "postgres",
      "-d",
      "zitadel",
      "-c",
      "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'eventstore'",
    ]);
    expect(schema).to.equal("zitadel");
  });

  it("the forwarder (built from the Dockerfile) turns healthy only with ntfy's acceptance: a wrong password fails its healthcheck", async () => {
    const forwarder = declared.find((c) => componentOf(c.resource) === "forwarderBase")!;
    const logs = (await api.raw("GET", `/v1.41/containers/${forwarder.name}/logs?stdout=true&stderr=true`)).body.toString();
    expect(logs).not.to.include("refused");
    // The same container as declared, with another password file: ntfy (stand-in) answers 401.
    const name = `${forwarder.name}-wrong-password`;
    const uploads = (forwarder.resource.inputs["uploads"] as { file: string; content: string }[]).map((u) =>
      u.file === forwarder.env["NTFY_PASSWORD_FILE"] ? { ...u, content: "not-the-ntfy-password" } : u,
    );
    const wrong: RecordedResource = { ...forwarder.resource, inputs: { ...forwarder.resource.inputs, name, uploads } };
    await api.json(
      "POST",
      `/containers/create?name=${name}`,
      createBody(wrong, String(forwarder.resource.inputs["image"]), (p) => p),
    );
    await api.putArchive(name, "/", tarOf(uploads.map((u) => ({ path: u.file, content: u.content }))));
    await api.json("POST", `/containers/${name}/start`);
    let wrongLogs = "";
    for (let i = 0; i < 40 && !wrongLogs.includes("refused"); i++) {
      await new Promise((r) => setTimeout(r, 250));
      wrongLogs = (await api.raw("GET", `/v1.41/containers/${name}/logs?stdout=true&stderr=true`)).body.toString();
    }
    expect(wrongLogs).to.include("ntfy refused the subscription: 401");
    // The declared healthcheck command, run in each container: passes in the declared one, fails in this one.
    const [kind, ...test] = (forwarder.resource.inputs["healthcheck"] as { tests: string[] }).tests;
    expect(kind).to.equal("CMD");
    const exitOf = (container: string) =>
      podman.podman(["exec", container, ...test]).then(
        () => 0,
        () => 1,
      );
    expect(await exitOf(forwarder.name)).to.equal(0);
    expect(await exitOf(name)).to.equal(1);
    expect(wrongLogs).not.to.include("not-the-ntfy-password");
  });

  it("turns the whole stack healthy within two minutes of the first create", () => {
    expect(Math.max(...deployed.map((d) => d.healthyAfterSeconds))).to.be.lessThan(120);
  });
});
