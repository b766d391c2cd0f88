/** What a stack name may be (it becomes part of file names): no dependencies, so the CLI can check it at start-up. */

/** A Pulumi stack name as the CLI accepts it: letters, digits, `-`, `_`, `.`; no `/`, no leading dot, no `..`. */
export const STACK_NAME_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export const STACK_NAME_EXPECTED = "expected a stack name: letters, digits, -, _ and . (no /, no .., at most 100 characters), e.g. staging";

/** The problem with `stack` as a stack name, or undefined when it is one. */
export function stackNameProblem(stack: string): string | undefined {
  return STACK_NAME_PATTERN.test(stack) ? undefined : `--stack = ${JSON.stringify(stack)}: ${STACK_NAME_EXPECTED}`;
}
