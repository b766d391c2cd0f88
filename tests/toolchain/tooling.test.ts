/** DEPENDENCIES.md "Tooling": every npm package justified, versions exact and read from their one source. */
import { expect } from "chai";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { toolingSection } from "../../cli/app/docs/tooling";
import { ConfigError } from "../../config/schema";

const ROOT = path.join(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe("DEPENDENCIES.md tooling section", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "myoci-h13-tooling-"));
    mkdirSync(path.join(dir, "scripts"));
    for (const script of ["ensure-node24.sh", "ensure-renovate.sh"]) copyFileSync(path.join(ROOT, "scripts", script), path.join(dir, "scripts", script));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (content: object) => writeFileSync(path.join(dir, "package.json"), JSON.stringify(content));

  it("lists every package of package.json with its exact version and a reason; Node 24 as engines and CI install it", () => {
    const text = toolingSection(ROOT).join("\n");
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(text).to.match(new RegExp(`\\| \`${name.replace(/[/.]/g, "\\$&")}\` \\| ${version.replace(/\./g, "\\.")} \\| (runtime|development) \\| \\S`));
    }
    expect(pkg.engines.node).to.equal(">=24.11");
    expect(pkg.devDependencies["@types/node"]).to.match(/^24\./);
    expect(pkg.dependencies).to.not.have.property("semver");
    expect(text).to.contain("installs Node 24.22.3 from the npm registry");
    expect(text).to.match(/Renovate 44\.\d+\.\d+ \(scripts\/ensure-renovate\.sh\)/);
    expect(text).to.contain(`Pulumi CLI of the SDK's version (${pkg.dependencies["@pulumi/pulumi"]}`);
  });

  it("refuses a package without a reason and a version range, naming file, key and value", () => {
    write({ ...pkg, dependencies: { ...pkg.dependencies, leftpad: "1.0.0" } });
    expect(() => toolingSection(dir)).to.throw(ConfigError, 'package.json: dependencies.leftpad = "1.0.0"');
    write({ ...pkg, devDependencies: { ...pkg.devDependencies, chai: "^6.3.0" } });
    expect(() => toolingSection(dir)).to.throw(ConfigError, 'package.json: devDependencies.chai = "^6.3.0": an exact version x.y.z');
    write({ dependencies: {}, devDependencies: {} });
    expect(() => toolingSection(dir)).to.throw(ConfigError, "package.json: engines");
  });
});
