/**
 * Serves the policy pack exactly as the Pulumi CLI does: the SDK's run-policy-pack entry with cwd = the pack,
 * the PULUMI_* environment, the port read from its stdout; then Analyzer gRPC calls from a client.
 *
 * The first argument (engine address) is dropped by run-policy-pack: the policy SDK only logs to an engine
 * when PULUMI_NODEJS_ENGINE is set, so no engine server is needed (checked in @pulumi/pulumi 3.270).
 */
import type { ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient, AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { PackConfig } from "./policy-config";
import type { Finding, Level, RecordedResource } from "./types";
import { readFileSync } from "node:fs";
import { spawnPack, stopPack, type PackProcess, type ServeOptions } from "./pack-process";
import { analyzeMessage, decodeAnalyzeDiagnostics, encodeAnalyzeRequest, encodeAnalyzeStackRequest, stackMessage } from "./wire";

import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";

export { PACK_DIR, type ServeOptions } from "./pack-process";

export interface PackInfo {
  readonly name: string;
  readonly version: string;
  readonly policies: { name: string; description: string; enforcementLevel: Level }[];
}

const LEVELS: Record<number, Level> = {
  [analyzer.EnforcementLevel.ADVISORY]: "advisory",
  [analyzer.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzer.EnforcementLevel.DISABLED]: "disabled",
  [analyzer.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES: Record<Level, analyzer.EnforcementLevel> = {
  advisory: analyzer.EnforcementLevel.ADVISORY,
  mandatory: analyzer.EnforcementLevel.MANDATORY,
  disabled: analyzer.EnforcementLevel.DISABLED,
  remediate: analyzer.EnforcementLevel.REMEDIATE,
};

/** What a unary call needs of a method definition of the generated service. */
interface Method<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (request: Req) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Res;
}

/**
 * Analyze and AnalyzeStack of the Analyzer service (their paths): the request goes out as bytes already encoded, the
 * response is read for its diagnostics only (wire.ts).
 */
const analyzing = (method: { path: string }): Method<Buffer, analyzer.AnalyzeDiagnostic[]> => ({
  path: method.path,
  requestSerialize: (bytes) => bytes,
  responseDeserialize: decodeAnalyzeDiagnostics,
});
const ANALYZE = analyzing(AnalyzerService.analyze);
const ANALYZE_STACK = analyzing(AnalyzerService.analyzeStack);

/** JSON-safe copy (drops undefined, functions) for Struct.fromJavaScript. */
const plain = (value: Record<string, unknown>): Record<string, JavaScriptValue> => JSON.parse(JSON.stringify(value)) as Record<string, JavaScriptValue>;

export class PolicyPackServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly client: AnalyzerClient,
    private readonly stderr: () => string,
  ) {}

  /** Starts the pack and waits for its port (the pack type-checks itself with ts-node first, as under the CLI). */
  static start(options: ServeOptions): Promise<PolicyPackServer> {
    return PolicyPackServer.connect(spawnPack(options));
  }

  /** A client of a pack already spawned (spawnPack), once it serves. */
  static async connect(pack: PackProcess): Promise<PolicyPackServer> {
    const port = await pack.port;
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    return new PolicyPackServer(pack.child, port, client, pack.stderr);
  }

  /** One unary call on a method of the Analyzer service, as the generated client makes it. */
  private call<Req, Res>(method: Method<Req, Res>, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, (error, response) =>
        error || response === undefined ? reject(error ?? new Error(`${method.path}: no response`)) : resolve(response),
      );
    });
  }

  async info(): Promise<PackInfo> {
    const info = await this.call(AnalyzerService.getAnalyzerInfo, new Empty());
    return {
      name: info.getName(),
      version: info.getVersion(),
      policies: info
        .getPoliciesList()
        .map((p) => ({ name: p.getName(), description: p.getDescription(), enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? "advisory" })),
    };
  }

  /** Sends the resolved policy config (levels and properties), as the CLI does before analysis. */
  async configure(config: PackConfig): Promise<void> {
    const request = new analyzer.ConfigureAnalyzerRequest();
    const map = request.getPolicyconfigMap();
    for (const [name, entry] of Object.entries(config)) {
      const policyConfig = new analyzer.PolicyConfig();
      policyConfig.setEnforcementlevel(LEVEL_CODES[entry.enforcementLevel]);
      policyConfig.setProperties(Struct.fromJavaScript(plain(entry.properties)));
      map.set(name, policyConfig);
    }
    await this.call(AnalyzerService.configure, request);
  }

  /** Analyze for every resource (inputs) and AnalyzeStack for all (state over inputs); all findings. */
  async analyze(resources: readonly RecordedResource[], descriptions: ReadonlyMap<string, string>): Promise<Finding[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const findings: Finding[] = [];
    const toFinding = (d: analyzer.AnalyzeDiagnostic, fallback?: RecordedResource): Finding => {
      const urn = d.getUrn() || fallback?.urn;
      const resource = urn === undefined ? undefined : byUrn.get(urn);
      const description = descriptions.get(d.getPolicyname()) ?? d.getDescription();
      const message = d.getMessage().startsWith(`${description}\n`) ? d.getMessage().slice(description.length + 1) : d.getMessage();
      return {
        policy: d.getPolicyname(),
        level: LEVELS[d.getEnforcementlevel()] ?? "advisory",
        message,
        resource: resource
          ? { urn: resource.urn, type: resource.type, name: resource.name }
          : urn
            ? { urn, type: "", name: urn.split("::").pop() ?? urn }
            : undefined,
      };
    };
    // The requests are encoded straight from the records (wire.ts: the bytes analyzer_pb would write) and sent on
    // the same methods of the same service as the generated client's.
    const perResource = async (r: RecordedResource) => {
      const diagnostics = await this.call(ANALYZE, encodeAnalyzeRequest(analyzeMessage(r)));
      return diagnostics.map((d) => toFinding(d, r));
    };
    // Bounded concurrency: thousands of resources in flight at once only queue in the server.
    let next = 0;
    const workers = Array.from({ length: Math.min(32, resources.length) }, async () => {
      for (let r = resources[next++]; r !== undefined; r = resources[next++]) {
        findings.push(...(await perResource(r)));
      }
    });
    // The stack request is built and answered while the per-resource calls are still in flight: the pack and this
    // process work in parallel (the findings are sorted below, so their arrival order does not matter).
    const [stackDiagnostics] = await Promise.all([this.call(ANALYZE_STACK, encodeAnalyzeStackRequest(resources.map(stackMessage))), Promise.all(workers)]);
    findings.push(...stackDiagnostics.map((d) => toFinding(d)));
    // Stable order: resources in program order, then stack-wide findings.
    const order = new Map(resources.map((r, i) => [r.urn, i]));
    return findings.sort(
      (a, b) =>
        (order.get(a.resource?.urn ?? "") ?? 1e9) - (order.get(b.resource?.urn ?? "") ?? 1e9) ||
        a.policy.localeCompare(b.policy) ||
        a.message.localeCompare(b.message),
    );
  }

  async stop(): Promise<void> {
    this.client.close();
    await stopPack(this.child);
  }

  /** CPU time (ms) the pack process has used so far, from /proc (Linux; undefined elsewhere): for benchmarks. */
  cpuMs(): number | undefined {
    try {
      const fields = readFileSync(`/proc/${this.child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms clock ticks
    } catch {
      return undefined;
    }
  }

  /** What the pack wrote to stderr (its own errors). */
  get errors(): string {
    return this.stderr();
  }
}
