import type { ResourceValidation } from "@pulumi/policy";
/** Applicability: a policy that does not apply to a resource says so (the engine records it as not applicable). */
export function requireType(args: { type: string; notApplicable(reason?: string): never }, types: readonly string[]): void {
  if (!types.includes(args.type)) {
    notApplicable(args, `applies to ${types.join(", ")} only`);
  }
}

/**
 * The SDK signals "not applicable" by throwing an Error, once per policy and resource that does not apply (most
 * pairs). Capturing a stack trace for that control-flow signal was the largest single cost of analysing a large
 * stack, so it is thrown without one.
 */
export function notApplicable(args: { notApplicable(reason?: string): never }, reason: string): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return args.notApplicable(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Marks a validation function as applying to one resource type, the way the SDK's validateResourceOfType does
 * (`__pulumiType`): the SDK then skips the policy for every other type before deserializing the resource — for a
 * large stack most of the pack's work. requireType inside stays for direct calls (unit tests).
 */
export function forType(type: string, validate: ResourceValidation): ResourceValidation {
  return Object.assign(validate, { __pulumiType: type });
}
