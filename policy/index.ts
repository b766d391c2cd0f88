// The myOCI policy pack: `pulumi preview --policy-pack policy`, or offline with `npm run policy -- --stack <name>`.
import "./lib/lazy-zod-locales"; // before zod: its translations load on first use
import { flushCompileCache } from "node:module";
import { PolicyPack } from "@pulumi/policy";
import { convertPropertiesOnce, PROTOBUF_ENV } from "./lib/one-conversion";
import { prefetchRecords } from "./lib/records";
import { encodeResponsesDirectly } from "./lib/response-encoding";
import { installedVersions, unreviewed } from "./lib/reviewed-versions";
import { allPolicies } from "./policies";

// Each resource's properties converted from the request bytes once per request, not once per policy
// (lib/one-conversion.ts); responses written without jspb's writer (lib/response-encoding.ts). Same bytes either way.
// Only on the library versions that path was reviewed against (lib/reviewed-versions.ts); the SDK's path otherwise.
const unreviewedVersions = unreviewed(installedVersions());
if (unreviewedVersions !== undefined) {
  process.stderr.write(`myoci policy pack: the SDK's own protobuf path (the fast path is reviewed for other versions: ${unreviewedVersions})\n`);
} else if (process.env[PROTOBUF_ENV] !== "sdk") {
  convertPropertiesOnce();
  encodeResponsesDirectly();
}
new PolicyPack("myoci", { policies: allPolicies });

setImmediate(() => {
  // The program is still being evaluated (by the engine, or the offline runner): read the committed records now.
  prefetchRecords();
  // A pack is stopped by a signal (the Pulumi CLI and the offline runner alike) and never exits normally, so Node
  // would never write its compile cache: write it now that the pack is loaded. A no-op unless NODE_COMPILE_CACHE is
  // set (the offline runner sets it); a later start then skips compiling the SDK, TypeScript and the policies.
  flushCompileCache();
});
