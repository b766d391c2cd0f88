import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { lokiDataSource } from "../../components/monitoring/grafana";
import type { EvaluationResult } from "../../program/evaluate";
import { formatPlan, planOf, SECRET_CONTENT, type PlannedContainer } from "../../policy/offline/plan";
import { main } from "../../policy/offline/run";
import { evaluateRehearsal, REHEARSAL_SECRETS } from "./fixture";

describe("npm run plan: networks, dependencies and uploaded files (fixture stack)", function () {
  this.timeout(60000);
  let evaluation: EvaluationResult;
  let plan: PlannedContainer[];
  const byName = (service: string) => plan.find((c) => c.container === `myoci-rehearsal-${service}`)!;

  before(async () => {
    evaluation = await evaluateRehearsal();
    plan = planOf(evaluation.resources);
  });

  it("lists each container's networks with whether they are internal", () => {
    const internal = new Map(
      evaluation.resources.filter((r) => r.type === "docker:index/network:Network").map((r) => [String(r.inputs["name"]), r.inputs["internal"] === true]),
    );
    expect(internal.get("myoci-rehearsal-internal")).to.equal(true);
    expect(byName("caddy").networks).to.deep.equal([{ name: "myoci-rehearsal-edge", internal: false }]);
    expect(byName("loki").networks).to.deep.include({ name: "myoci-rehearsal-internal", internal: true });
    expect(byName("grafana").networks).to.deep.include({ name: "myoci-rehearsal-edge", internal: false });
    for (const r of evaluation.resources.filter((x) => x.type === "docker:index/container:Container")) {
      const declared = (r.inputs["networksAdvanced"] as { name: string }[]).map((n) => ({ name: n.name, internal: internal.get(n.name) }));
      expect(plan.find((c) => c.container === r.inputs["name"])!.networks, String(r.inputs["name"])).to.deep.equal(declared);
    }
  });

  it("lists the containers each one is created after", () => {
    expect(byName("zitadel").dependsOn).to.deep.equal(["myoci-rehearsal-postgres"]);
    const declared = evaluation.resources.filter((r) => r.type === "docker:index/container:Container" && (r.opts.dependsOn ?? []).length > 0);
    expect(plan.filter((c) => c.dependsOn.length > 0).map((c) => c.container)).to.have.members(declared.map((r) => String(r.inputs["name"])));
  });

  it("lists every uploaded file with its content, secrets as [secret], and never a secret value", () => {
    const grafana = byName("grafana").files;
    expect(grafana).to.deep.equal([
      { path: "/run/secrets/grafana_admin_password", content: SECRET_CONTENT },
      { path: "/etc/grafana/provisioning/datasources/myoci-loki.yaml", content: lokiDataSource("http://loki:3100") },
    ]);
    expect(byName("caddy").files.map((f) => f.path)).to.deep.equal(["/etc/caddy/Caddyfile"]);
    expect(byName("caddy").files[0]!.content).to.include("grafana.rehearsal.localhost {");
    // Every upload the program declares is listed, and each one recorded as a secret is hidden.
    const uploads = evaluation.resources
      .filter((r) => r.type === "docker:index/container:Container")
      .flatMap((r) => (r.inputs["uploads"] as unknown[] | undefined) ?? []);
    expect(plan.flatMap((c) => c.files)).to.have.length(uploads.length);
    for (const c of plan) {
      for (const f of c.files.filter((x) => x.path.startsWith("/run/secrets/"))) {
        expect(f.content, `${c.container} ${f.path}`).to.equal(SECRET_CONTENT);
      }
    }
    const text = JSON.stringify(plan) + formatPlan("rehearsal", plan);
    for (const [key, value] of Object.entries(REHEARSAL_SECRETS)) {
      expect(text.includes(value), key).to.equal(false);
    }
  });

  it("prints the same through `npm run plan -- --json --resources`, and hides every upload of a list without secret paths", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "myoci-plan-"));
    const logged: string[] = [];
    const log = console.log;
    try {
      const withPaths = path.join(dir, "resources.json");
      writeFileSync(withPaths, JSON.stringify(evaluation.resources));
      const handMade = path.join(dir, "hand-made.json");
      writeFileSync(handMade, JSON.stringify(evaluation.resources.map(({ secretPaths: _ignored, ...r }) => r)));
      console.log = (line: string) => logged.push(line);
      expect(await main(["plan", "--stack", "rehearsal", "--json", "--resources", withPaths])).to.equal(0);
      expect(await main(["plan", "--stack", "rehearsal", "--json", "--resources", handMade])).to.equal(0);
    } finally {
      console.log = log;
      rmSync(dir, { recursive: true, force: true });
    }
    const [full, conservative] = logged.map((l) => JSON.parse(l) as { containers: PlannedContainer[] });
    expect(full!.containers).to.deep.equal(plan);
    expect(conservative!.containers.flatMap((c) => c.files).every((f) => f.content === SECRET_CONTENT)).to.equal(true);
  });
});
