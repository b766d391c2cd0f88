export type { RecordedResource } from "../../program/evaluate";

export type Level = "advisory" | "mandatory" | "disabled" | "remediate";

/** One policy violation as the pack reported it over gRPC. */
export interface Finding {
  readonly policy: string;
  readonly level: Level;
  /** The violation message (the policy's description, which the SDK prefixes, removed). */
  readonly message: string;
  /** The resource it concerns; absent for stack-wide findings without a resource. */
  readonly resource?: { readonly urn: string; readonly type: string; readonly name: string };
}
