// The myOCI policy pack: `pulumi preview --policy-pack policy`, or offline with `npm run policy -- --stack <name>`.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("myoci", { policies: allPolicies });
