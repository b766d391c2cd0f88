/** What an evaluation leaves behind (issue 15): plain records, not the SDK's live objects of that run. */
import { expect } from "chai";
import { evaluateProgram } from "../../program/evaluate";
import { FIXTURE_PROJECT } from "../helpers/fixture-project";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const state = require("@pulumi/pulumi/runtime/state") as { getStackResource: () => unknown };

describe("an evaluation of the program under mocks", function () {
  this.timeout(60_000);

  it("lets the SDK's stack resource go once the records are made (its children hold every resource and Output)", async () => {
    const result = await evaluateProgram({ stack: "prod", projectDir: FIXTURE_PROJECT });
    expect(result.resources.filter((r) => r.type === "docker:index/container:Container")).to.have.length(14);
    expect(state.getStackResource()).to.equal(undefined);
    // …and the next evaluation works as the first did.
    const again = await evaluateProgram({ stack: "prod", projectDir: FIXTURE_PROJECT });
    expect(again.resources.map((r) => r.urn)).to.deep.equal(result.resources.map((r) => r.urn));
  });
});
