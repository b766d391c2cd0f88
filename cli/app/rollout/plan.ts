/**
 * What a rollout deploys, decided before anything changes (pure: the digests are resolved and the configs loaded by
 * the caller): per stack the changed components, the ones re-deployed unchanged to verify them, the pins before and
 * after, a PostgreSQL migration, and every refusal (naming the stack file and key).
 */
import { CATALOG, isComponentId, parseTag, describeScheme, type ComponentId, type ImagePin, type PinSet } from "../../../catalog";
import { requiredComponents, type StackConfig } from "../../../config/schema";
import { judgePinSet } from "../pin/rules";

/** Parses `component=tag` arguments; errors name the argument and what was expected. */
export function parseChangeArgs(args: readonly string[]): { changes: Record<string, string>; errors: string[] } {
  const changes: Record<string, string> = {};
  const errors: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const component = arg.slice(0, eq);
    const tag = arg.slice(eq + 1);
    if (eq <= 0 || tag === "") {
      errors.push(`${JSON.stringify(arg)}: expected <component>=<tag>, e.g. grafana=13.0.3`);
    } else if (!isComponentId(component)) {
      errors.push(`${JSON.stringify(arg)}: unknown component ${JSON.stringify(component)} (known: ${Object.keys(CATALOG).join(", ")})`);
    } else if (changes[component] !== undefined) {
      errors.push(`${JSON.stringify(arg)}: ${component} given twice`);
    } else {
      const parsed = parseTag(tag, CATALOG[component].tagScheme);
      if (!parsed.ok) {
        errors.push(`${JSON.stringify(arg)}: ${parsed.reason}; ${CATALOG[component].title} tags have ${describeScheme(CATALOG[component].tagScheme)}`);
      } else {
        changes[component] = tag;
      }
    }
  }
  if (args.length === 0) {
    errors.push("expected at least one <component>=<tag>");
  }
  return { changes, errors };
}

export interface StackPlan {
  readonly stack: string;
  readonly config: StackConfig;
  readonly changed: ComponentId[];
  /** Requested, already in the stack file, not yet verified there: deployed (a no-op up) and verified again. */
  readonly reverify: ComponentId[];
  readonly before: PinSet;
  readonly after: PinSet;
  readonly migration?: { from: number; to: number };
}

/** One stack's plan for the resolved `pins`, and why it is refused (empty: it may go ahead). */
export function planStack(
  stack: string,
  config: StackConfig,
  pins: Readonly<Partial<Record<ComponentId, ImagePin>>>,
  migrate: boolean,
  isVerified: (stack: string, component: ComponentId, pin: ImagePin) => boolean,
): { plan: StackPlan; refusals: string[] } {
  const refusals: string[] = [];
  const runs = requiredComponents(config.logShipper);
  const before = config.images;
  const after: Partial<Record<ComponentId, ImagePin>> = { ...before };
  const changed: ComponentId[] = [];
  const reverify: ComponentId[] = [];
  for (const [component, pin] of Object.entries(pins) as [ComponentId, ImagePin][]) {
    if (!runs.includes(component)) {
      refusals.push(`Pulumi.${stack}.yaml: myoci:images.${component}: this stack does not run ${component} (myoci:logShipper is "${config.logShipper}")`);
      continue;
    }
    if (before[component]?.tag !== pin.tag || before[component]?.digest !== pin.digest) {
      after[component] = pin;
      changed.push(component);
    } else if (!isVerified(stack, component, pin)) {
      reverify.push(component);
    }
  }
  const oldMajor = before.postgres ? parseTag(before.postgres.tag, CATALOG.postgres.tagScheme) : undefined;
  const newMajor = after.postgres ? parseTag(after.postgres.tag, CATALOG.postgres.tagScheme) : undefined;
  const from = oldMajor?.ok ? oldMajor.tag.numbers[0] : undefined;
  const to = newMajor?.ok ? newMajor.tag.numbers[0] : undefined;
  const migration = migrate && from !== undefined && to !== undefined && from !== to ? { from: config.postgres.dataMajor, to } : undefined;
  const verdict = judgePinSet({ versions: config.versions, postgres: { ...config.postgres, migration: migration ?? config.postgres.migration } }, after);
  refusals.push(...verdict.refusals.map((r) => `Pulumi.${stack}.yaml: ${r}`));
  return { plan: { stack, config, changed, reverify, before, after, migration }, refusals };
}

/** The components a stack's run deploys and verifies: the changed ones, then the re-verified ones. */
export const targetsOf = (plan: StackPlan): ComponentId[] => [...plan.changed, ...plan.reverify];

/** `pins` of `components` only (those it has). */
export function pick(pins: PinSet, components: readonly ComponentId[]): PinSet {
  return Object.fromEntries(components.filter((c) => pins[c]).map((c) => [c, pins[c]!]));
}

/** The command line that runs the same request on `stacks` (the "re-run" advice of every stop). */
export function rerunCommand(changes: Readonly<Record<string, string>>, stacks: readonly string[], migrate: boolean): string {
  return `myoci rollout ${Object.entries(changes)
    .map(([c, t]) => `${c}=${t}`)
    .join(" ")} --stacks ${stacks.join(",")}${migrate ? " --migrate" : ""}`;
}
