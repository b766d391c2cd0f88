/**
 * What a CI deploy of one stack rolls out, as `npx myoci rollout` arguments (one `component=tag` per line).
 *   staging: the pins a push changed (base commit's stack file → the committed one). With --write-base the stack file
 *            gets the base pins of those components back, so `myoci rollout` backs up, pins, deploys, verifies and
 *            records exactly the pushed change, and can roll back to what ran before.
 *   prod:    staging's latest verified pins (promotions.yaml) that prod does not run yet, once staging has run them
 *            for STAGING_SOAK_HOURS of their change class (UPDATE_POLICY.md §1); --only limits the components.
 * Usage: node scripts/run-ts.js scripts/ci/deploy-plan.ts staging --base-dir DIR [--write-base]
 *        node scripts/run-ts.js scripts/ci/deploy-plan.ts prod [--only grafana,ntfy]
 * Exit 0 (nothing to do: no output), 2 bad input or a change CI must not make alone (named on stderr).
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { CATALOG, classifyChange, isComponentId, parseTag, type ChangeClass, type ComponentId, type ImagePin, type PinSet } from "../../catalog";
import { DEFAULT_RECORD_FILE, latestVerified, readPromotionRecord } from "../../config/promotion-record";
import { ConfigError } from "../../config/schema";
import { loadStackFile, stackFilePath } from "../../config/stack-file";
import { editStackFile } from "../../config/stack-file/edit";
import { inCatalogOrder } from "../../config/stack-file/pins";

export interface DeployPlan {
  /** component → tag to roll out. */
  readonly changes: Partial<Record<ComponentId, string>>;
  /** Changes CI refuses to make unattended, each with what to do instead. */
  readonly refusals: string[];
  /** Verified on staging, still inside the soak time: rolled out by a later run. */
  readonly waiting?: string[];
}

/** How long staging runs a verified pin before CI rolls it out to prod, per change class (UPDATE_POLICY.md §1). */
export const STAGING_SOAK_HOURS: Readonly<Record<ChangeClass, number>> = {
  none: 0,
  security: 0,
  patch: 0,
  minor: 48,
  major: 48,
  downgrade: 0,
};

/** The change class of prod's pin → staging's, by the catalog's tag scheme (unparseable: major, the cautious class). */
function changeClass(component: ComponentId, from: string, to: string): ChangeClass {
  const scheme = CATALOG[component].tagScheme;
  const [a, b] = [parseTag(from, scheme), parseTag(to, scheme)];
  return a.ok && b.ok ? classifyChange(a.tag, b.tag) : "major";
}

const samePin = (a: ImagePin | undefined, b: ImagePin | undefined): boolean => a?.tag === b?.tag && a?.digest === b?.digest;

/** Staging: the components whose pin the push changed. Adding or removing a component (log shipper switch) is refused. */
export function stagingPlan(base: PinSet, head: PinSet): DeployPlan {
  const changes: Partial<Record<ComponentId, string>> = {};
  const refusals: string[] = [];
  for (const component of inCatalogOrder(new Set([...Object.keys(base), ...Object.keys(head)] as ComponentId[]))) {
    const [from, to] = [base[component], head[component]];
    if (from === undefined || to === undefined) {
      refusals.push(
        `${component}: pin ${to === undefined ? "removed" : "added"} by the push (a log shipper switch or a new service): run \`npx myoci rollout\` by hand`,
      );
    } else if (!samePin(from, to)) {
      changes[component] = to.tag;
    }
  }
  return { changes, refusals };
}

/**
 * Prod: staging's latest verified pins that prod runs a different digest of (only prod's components; `only` narrows),
 * each once staging has run it for the soak time of its change class. Without `only`, pins still soaking wait; named
 * in `only`, they are refused.
 */
export function prodPlan(
  prod: PinSet,
  verified: Readonly<Partial<Record<ComponentId, ImagePin & { recordedAt: string }>>>,
  now: number,
  only?: readonly ComponentId[],
): DeployPlan {
  const changes: Partial<Record<ComponentId, string>> = {};
  const refusals: string[] = [];
  const waiting: string[] = [];
  for (const component of only ?? inCatalogOrder(Object.keys(prod) as ComponentId[])) {
    const [current, candidate] = [prod[component], verified[component]];
    if (current === undefined) {
      refusals.push(`${component}: prod does not run it (a log shipper switch goes through \`npx myoci promote --switch-log-shipper\`)`);
    } else if (candidate === undefined) {
      if (only !== undefined) refusals.push(`${component}: staging has no verified pin of it in ${DEFAULT_RECORD_FILE}`);
    } else if (!samePin(current, candidate)) {
      const kind = changeClass(component, current.tag, candidate.tag);
      const ready = Date.parse(candidate.recordedAt) + STAGING_SOAK_HOURS[kind] * 3_600_000;
      if (ready <= now) {
        changes[component] = candidate.tag;
      } else {
        const message = `${component} ${current.tag} → ${candidate.tag}: ${kind}, verified on staging at ${candidate.recordedAt}; prod may take it from ${new Date(ready).toISOString()} (${STAGING_SOAK_HOURS[kind]} h on staging, UPDATE_POLICY.md §1)`;
        (only !== undefined ? refusals : waiting).push(message);
      }
    }
  }
  return { changes, refusals, waiting };
}

export function formatDeployPlan(plan: DeployPlan): string {
  return (Object.entries(plan.changes) as [ComponentId, string][]).map(([component, tag]) => `${component}=${tag}\n`).join("");
}

function pinsOf(projectDir: string, stack: string): PinSet {
  return loadStackFile(projectDir, stack, { placeholderSecrets: true }).images;
}

export function main(argv: readonly string[], cwd: string, now: number, out: (text: string) => void, err: (text: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { "base-dir": { type: "string" }, "write-base": { type: "boolean", default: false }, only: { type: "string" } },
    });
  } catch (error) {
    err(`deploy-plan: ${(error as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const stack = positionals[0];
  try {
    let plan: DeployPlan;
    if (stack === "staging" && positionals.length === 1 && values["base-dir"] !== undefined && values.only === undefined) {
      const base = pinsOf(path.resolve(cwd, values["base-dir"]), stack);
      plan = stagingPlan(base, pinsOf(cwd, stack));
      if (values["write-base"] && plan.refusals.length === 0 && Object.keys(plan.changes).length > 0) {
        const images = Object.fromEntries(Object.keys(plan.changes).map((c) => [c, base[c as ComponentId]!]));
        editStackFile(stackFilePath(cwd, stack), { images });
      }
    } else if (stack === "prod" && positionals.length === 1 && values["base-dir"] === undefined && !values["write-base"]) {
      const only = values.only?.split(",").map((c) => c.trim());
      const unknown = only?.filter((c) => !isComponentId(c)) ?? [];
      if (unknown.length > 0) {
        err(
          `deploy-plan: --only ${JSON.stringify(values.only)}: unknown component ${unknown.map((c) => JSON.stringify(c)).join(", ")} (known: ${Object.keys(CATALOG).join(", ")})\n`,
        );
        return 2;
      }
      const record = readPromotionRecord(path.join(cwd, DEFAULT_RECORD_FILE));
      plan = prodPlan(pinsOf(cwd, stack), latestVerified(record, "staging"), now, only as ComponentId[] | undefined);
    } else {
      err("usage: deploy-plan.ts staging --base-dir DIR [--write-base] | deploy-plan.ts prod [--only c1,c2]\n");
      return 2;
    }
    if (plan.refusals.length > 0) {
      err(plan.refusals.map((r) => `deploy-plan: ${r}\n`).join(""));
      return 2;
    }
    err((plan.waiting ?? []).map((w) => `deploy-plan: waiting: ${w}\n`).join(""));
    out(formatDeployPlan(plan));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`deploy-plan: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = main(
    process.argv.slice(2),
    process.cwd(),
    Date.now(),
    (t) => process.stdout.write(t),
    (t) => process.stderr.write(t),
  );
}
