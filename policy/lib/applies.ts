/** Applicability: a policy that does not apply to a resource says so (the engine records it as not applicable). */
export function requireType(args: { type: string; notApplicable(reason?: string): never }, types: readonly string[]): void {
  if (!types.includes(args.type)) {
    args.notApplicable(`applies to ${types.join(", ")} only`);
  }
}
