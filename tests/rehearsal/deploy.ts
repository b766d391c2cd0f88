/**
 * Creates the rendered stack on a Docker-API engine as the docker provider would: networks (internal too),
 * volumes, then containers in dependency order — a container is created only once everything it depends on is
 * healthy (`wait: true`) — with the declared names, images (stand-ins), command, entrypoint, user, environment,
 * labels, healthcheck, ports, mounts, networks and aliases, memory, restart and log settings; uploads go in with
 * the archive PUT before start, as the provider does.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import type { RecordedResource } from "../../program/evaluate";
import type { DockerApi } from "../helpers/podman-api";
import { tarOf } from "../helpers/podman-api";
import { CONTAINER_TYPE } from "./generated-files";

const NETWORK_TYPE = "docker:index/network:Network";
const VOLUME_TYPE = "docker:index/volume:Volume";

type Inputs = Record<string, unknown>;
const list = (value: unknown): Inputs[] => (Array.isArray(value) ? (value as Inputs[]) : []);
/** A scalar input as text, else the default (inputs are untyped records). */
const text = (value: unknown, fallback: string): string => (typeof value === "string" || typeof value === "number" ? String(value) : fallback);
const labelMap = (value: unknown): Record<string, string> => Object.fromEntries(list(value).map((l) => [String(l["label"]), String(l["value"])]));

/** Go duration text (as the provider takes it) in nanoseconds, as the Engine API takes it. */
export function durationNs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`unsupported duration ${text}`);
  const unit = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[match[2] as "ms" | "s" | "m" | "h"];
  return Math.round(Number(match[1]) * unit);
}

export interface DeployOptions {
  /** The image the rehearsal runs for a container (stand-in or locally built). */
  readonly imageFor: (container: RecordedResource) => string;
  /** Host paths replaced for the rehearsal (the Docker socket → the engine's own socket). */
  readonly hostPath: (hostPath: string) => string;
  /** Seconds to wait for one container to turn healthy. */
  readonly healthTimeoutSeconds: number;
  /** Bridge interface name per network (unique on the machine). */
  readonly bridgeName: (network: string, index: number) => string;
}

/** The Engine API create body of a recorded `docker.Container`. */
export function createBody(r: RecordedResource, image: string, hostPath: (p: string) => string): Inputs {
  const i = r.inputs;
  const ports = list(i["ports"]);
  const health = (i["healthcheck"] ?? {}) as Inputs;
  const portKey = (p: Inputs) => `${String(p["internal"])}/${text(p["protocol"], "tcp")}`;
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    // 0.0.0.0 means every IPv4 address to Docker; netavark 1.4 matches it literally (-d 0.0.0.0/32, never hit),
    // and takes the empty address for "every address". Same meaning, the spelling netavark understands.
    const ip = text(p["ip"], "0.0.0.0");
    (bindings[portKey(p)] ??= []).push({ HostIp: ip === "0.0.0.0" ? "" : ip, HostPort: String(p["external"] ?? p["internal"]) });
  }
  const networks = list(i["networksAdvanced"]);
  const capabilities = (i["capabilities"] ?? {}) as Inputs;
  return {
    Image: image,
    ...(i["command"] ? { Cmd: i["command"] } : {}),
    ...(i["entrypoints"] ? { Entrypoint: i["entrypoints"] } : {}),
    ...(i["user"] ? { User: i["user"] } : {}),
    Env: i["envs"] ?? [],
    Labels: labelMap(i["labels"]),
    ExposedPorts: Object.fromEntries(ports.map((p) => [portKey(p), {}])),
    ...(i["destroyGraceSeconds"] !== undefined ? { StopTimeout: i["destroyGraceSeconds"] } : {}),
    Healthcheck: {
      Test: health["tests"],
      Interval: durationNs(text(health["interval"], "30s")),
      Timeout: durationNs(text(health["timeout"], "5s")),
      Retries: health["retries"] ?? 3,
      StartPeriod: durationNs(text(health["startPeriod"], "0s")),
    },
    HostConfig: {
      PortBindings: bindings,
      ...(i["memory"] !== undefined ? { Memory: Number(i["memory"]) * 1024 * 1024 } : {}),
      RestartPolicy: { Name: text(i["restart"], "no") },
      LogConfig: { Type: text(i["logDriver"], "json-file"), Config: (i["logOpts"] as Inputs | undefined) ?? {} },
      Mounts: list(i["volumes"]).map((v) =>
        v["volumeName"] !== undefined
          ? { Type: "volume", Source: v["volumeName"], Target: v["containerPath"], ReadOnly: v["readOnly"] === true }
          : { Type: "bind", Source: hostPath(String(v["hostPath"])), Target: v["containerPath"], ReadOnly: v["readOnly"] === true },
      ),
      CapAdd: (capabilities["adds"] as string[] | undefined) ?? [],
      Privileged: i["privileged"] === true,
      ...(i["pidMode"] ? { PidMode: i["pidMode"] } : {}),
      ...(i["securityOpts"] ? { SecurityOpt: i["securityOpts"] } : {}),
    },
    NetworkingConfig: { EndpointsConfig: Object.fromEntries(networks.map((n) => [String(n["name"]), { Aliases: n["aliases"] ?? [] }])) },
  };
}

export interface DeployedContainer {
  readonly name: string;
  readonly resource: RecordedResource;
  /** Seconds from the start of the deployment until it was healthy. */
  readonly healthyAfterSeconds: number;
}

/**
 * Leftovers of an earlier rehearsal that was killed before its clean-up. podman 4.3 keeps aardvark-dns's records
 * (keyed by network name) and netavark's port-forwarding chains (named after the network) machine-wide, outside
 * the instance's own folders; stale ones answer for the new networks with old addresses. Removes, for the declared
 * network names only: aardvark-dns record files, DNAT rules whose comment names the network and the chains they
 * jump to, and bridges named by `bridgePattern` whose process is gone (with the rules naming them or their subnet).
 */
export function removeStaleNetworkState(resources: readonly RecordedResource[], bridgePattern: RegExp): string[] {
  const removed: string[] = [];
  const names = resources.filter((r) => r.type === NETWORK_TYPE).map((n) => String(n.inputs["name"]));
  const dir = "/run/containers/networks/aardvark-dns";
  for (const name of names) {
    if (existsSync(`${dir}/${name}`)) {
      rmSync(`${dir}/${name}`);
      removed.push(`${dir}/${name}`);
    }
  }
  const staleLinks = readdirSync("/sys/class/net").filter((link) => {
    const owner = bridgePattern.exec(link)?.[1];
    return owner !== undefined && !existsSync(`/proc/${owner}`);
  });
  const staleSubnets = staleLinks.flatMap((link) => {
    const out = execFileSync("ip", ["-4", "-o", "addr", "show", "dev", link], { encoding: "utf8" });
    return [...out.matchAll(/inet (\d+\.\d+\.\d+)\.\d+\/(\d+)/g)].map((m) => `${m[1]}.0/${m[2]}`);
  });
  const iptables = (table: string, rule: string) => execFileSync("sh", ["-c", `iptables -t ${table} ${rule}`], { stdio: "ignore" });
  if (existsSync("/usr/sbin/iptables") || existsSync("/sbin/iptables")) {
    for (const table of ["nat", "filter"]) {
      const chains = new Set<string>();
      for (const line of execFileSync("iptables", ["-t", table, "-S"], { encoding: "utf8" }).split("\n")) {
        const stale =
          names.some((n) => line.includes(`dnat name: ${n} `)) ||
          staleLinks.some((l) => new RegExp(`-[io] ${l}( |$)`).test(line)) ||
          staleSubnets.some((s) => line.includes(`-s ${s} `) || line.includes(`-d ${s} `));
        if (line.startsWith("-A ") && stale) {
          iptables(table, line.replace(/^-A /, "-D "));
          removed.push(`${table}: ${line}`);
          const target = / -j (NETAVARK-(?:DN-)?[0-9A-F]+)$/.exec(line)?.[1];
          if (target) chains.add(target);
        }
      }
      for (const chain of chains) {
        try {
          iptables(table, `-F ${chain}`);
          iptables(table, `-X ${chain}`);
        } catch {
          // still referenced by a live network's rule: keep it
        }
      }
    }
  }
  for (const link of staleLinks) {
    execFileSync("ip", ["link", "delete", link]);
    removed.push(link);
  }
  return removed;
}

export async function deployStack(api: DockerApi, resources: readonly RecordedResource[], options: DeployOptions): Promise<DeployedContainer[]> {
  const started = Date.now();
  for (const [index, n] of resources.filter((r) => r.type === NETWORK_TYPE).entries()) {
    const name = String(n.inputs["name"]);
    await api.json("POST", "/networks/create", {
      Name: name,
      Driver: text(n.inputs["driver"], "bridge"),
      Internal: n.inputs["internal"] === true,
      Labels: labelMap(n.inputs["labels"]),
      Options: { "com.docker.network.bridge.name": options.bridgeName(name, index) },
    });
  }
  for (const v of resources.filter((r) => r.type === VOLUME_TYPE)) {
    await api.json("POST", "/volumes/create", { Name: v.inputs["name"], Labels: labelMap(v.inputs["labels"]) });
  }

  const containers = resources.filter((r) => r.type === CONTAINER_TYPE);
  const byUrn = new Map(containers.map((c) => [c.urn, c]));
  const deployed: DeployedContainer[] = [];
  const healthy = new Set<string>();
  const pending = new Set(containers.map((c) => c.urn));
  const running = new Map<string, RecordedResource>();
  const startedAt = new Map<string, number>();

  const create = async (r: RecordedResource) => {
    const name = String(r.inputs["name"]);
    await api.json("POST", `/containers/create?name=${encodeURIComponent(name)}`, createBody(r, options.imageFor(r), options.hostPath));
    const uploads = list(r.inputs["uploads"]);
    if (uploads.length > 0) {
      await api.putArchive(
        name,
        "/",
        tarOf(uploads.map((u) => ({ path: String(u["file"]), content: text(u["content"], ""), mode: u["executable"] === true ? 0o755 : 0o644 }))),
      );
    }
    await api.json("POST", `/containers/${encodeURIComponent(name)}/start`);
    running.set(r.urn, r);
    startedAt.set(r.urn, Date.now());
  };

  while (pending.size > 0 || running.size > 0) {
    const ready = [...pending].filter((urn) => (byUrn.get(urn)!.opts.dependsOn ?? []).every((d) => !byUrn.has(d) || healthy.has(d)));
    for (const urn of ready) pending.delete(urn);
    // One after another: podman 4.3's network setup (netavark, aardvark-dns) is not safe under concurrent starts.
    for (const urn of ready) await create(byUrn.get(urn)!);
    if (running.size === 0) {
      throw new Error(`containers waiting on dependencies that never turn healthy: ${[...pending].map((u) => byUrn.get(u)!.inputs["name"]).join(", ")}`);
    }
    await new Promise((r) => setTimeout(r, 2000));
    for (const [urn, r] of [...running]) {
      const name = String(r.inputs["name"]);
      const state = await api.json<{ State: { Running: boolean; ExitCode: number } }>("GET", `/containers/${encodeURIComponent(name)}/json`);
      if (!state.State.Running) {
        const logs = await api.raw("GET", `/v1.41/containers/${encodeURIComponent(name)}/logs?stdout=true&stderr=true&tail=30`);
        throw new Error(`${name} exited (${state.State.ExitCode}): ${logs.body.toString().replace(/[\0-\x08]/g, "")}`);
      }
      const test = ((r.inputs["healthcheck"] as Inputs | undefined)?.["tests"] as string[] | undefined) ?? [];
      if ((await api.execHealthTest(name, test)).exitCode === 0) {
        running.delete(urn);
        healthy.add(urn);
        deployed.push({ name, resource: r, healthyAfterSeconds: (Date.now() - started) / 1000 });
      } else if (Date.now() - startedAt.get(urn)! > options.healthTimeoutSeconds * 1000) {
        const last = await api.execHealthTest(name, test);
        const logs = await api.raw("GET", `/v1.41/containers/${encodeURIComponent(name)}/logs?stdout=true&stderr=true&tail=20`);
        throw new Error(
          `${name} not healthy after ${options.healthTimeoutSeconds} s: ${JSON.stringify(test)} exited ${last.exitCode}: ${last.output}\nlogs: ${logs.body.toString().replace(/[\0-\x08]/g, "")}`,
        );
      }
    }
  }
  return deployed;
}
