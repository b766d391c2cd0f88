// The myOCI policy pack: `pulumi preview --policy-pack policy`, or offline with `npm run policy -- --stack <name>`.
import "./lib/lazy-zod-locales"; // before zod: its translations load on first use
import { flushCompileCache } from "node:module";
import { PolicyPack } from "@pulumi/policy";
import { prefetchRecords } from "./lib/records";
import { allPolicies } from "./policies";

new PolicyPack("myoci", { policies: allPolicies });

setImmediate(() => {
  // The program is still being evaluated (by the engine, or the offline runner): read the committed records now.
  prefetchRecords();
  // A pack is stopped by a signal (the Pulumi CLI and the offline runner alike) and never exits normally, so Node
  // would never write its compile cache: write it now that the pack is loaded. A no-op unless NODE_COMPILE_CACHE is
  // set (the offline runner sets it); a later start then skips compiling the SDK, TypeScript and the policies.
  flushCompileCache();
});
