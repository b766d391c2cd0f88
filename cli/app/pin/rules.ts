/** Judges a change of a stack's pin set with the catalog's rules (shared by `myoci pin` and `myoci promote`). */
import { checkCompatibility, checkTransition, toVersionSet, type ComponentId, type PinSet } from "../../../catalog";
import type { StackConfig } from "../../../config/schema";

export interface PinSetVerdict {
  /** Violations the change introduces: the change must be refused. */
  readonly refusals: readonly string[];
  /** Violations the stack already had before the change (reported, not blocking). */
  readonly warnings: readonly string[];
}

function tagsOf(pins: PinSet): Partial<Record<ComponentId, string>> {
  return Object.fromEntries(Object.entries(pins).map(([component, pin]) => [component, pin?.tag]));
}

/**
 * Compatibility of the new set (only violations the change introduces refuse it) and transition rules from the
 * stack's pins (their versions as the stack config parsed them) to the new set. A PostgreSQL major change passes
 * only with a matching `myoci:postgresMigration`.
 */
export function judgePinSet(config: Pick<StackConfig, "postgres" | "versions">, after: PinSet): PinSetVerdict {
  const old = { versions: config.versions };
  const next = toVersionSet(tagsOf(after));
  const oldViolations = new Set(checkCompatibility(old.versions).map((v) => `${v.rule}: ${v.message}`));
  const newViolations = checkCompatibility(next.versions).map((v) => `${v.rule}: ${v.message}`);
  const refusals = [...next.errors, ...newViolations.filter((v) => !oldViolations.has(v))];
  const warnings = newViolations.filter((v) => oldViolations.has(v));
  const migration = config.postgres.migration;
  const oldMajor = old.versions.postgres?.numbers[0];
  const newMajor = next.versions.postgres?.numbers[0];
  const postgresMigration = migration !== undefined && migration.from === oldMajor && migration.to === newMajor;
  refusals.push(...checkTransition(old.versions, next.versions, { postgresMigration }).map((v) => `${v.rule}: ${v.message}`));
  return { refusals, warnings };
}
