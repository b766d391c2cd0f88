/**
 * `myoci promote`: copy to the target stack the pins the source stack currently pins AND has verified healthy
 * (promotion record, latest `verified` entry per component). Refuses unverified pins, incompatible results and
 * an implicit log-shipper switch; writes the target stack file atomically, printing the diff.
 */
import * as path from "node:path";
import { isComponentId, type ComponentId, type ImagePin } from "../../../catalog";
import { checkWritable, FileWriteError } from "../../../config/atomic-write";
import { latestVerified, readPromotionRecord } from "../../../config/promotion-record";
import { ConfigError, PROJECT, type StackConfig } from "../../../config/schema";
import { loadStackFile, stackFilePath } from "../../../config/stack-file";
import { promotion, provenancePath, recordProvenance } from "../../../config/provenance";
import { EXIT_ERROR, EXIT_OK, EXIT_REFUSED, judgePinSet } from "../pin";
import { editStackFile } from "../../../config/stack-file/edit";
import { inCatalogOrder } from "../../../config/stack-file/pins";
import { unifiedDiff } from "../../framework/output/diff";
import { StackLockedError, withStackLock } from "../stack-lock";

export interface PromoteRequest {
  readonly projectDir: string;
  readonly from: string;
  readonly to: string;
  /** Components to promote; empty: every component whose pin differs between the stacks. */
  readonly components: readonly string[];
  readonly dryRun?: boolean;
  /** Also switch `myoci:logShipper` of the target to the source's shipper (Promtail → Alloy), replacing the pin. */
  readonly switchLogShipper?: boolean;
  /** How long to wait for another run holding the target stack's lock (default: the lock's own). */
  readonly lockWaitMs?: number;
}

export interface PromoteOutcome {
  readonly exitCode: number;
  readonly output: string;
  readonly messages: readonly string[];
  readonly written: boolean;
  /** Components whose pin changed (or would change, on a dry run). */
  readonly promoted: readonly ComponentId[];
}

const samePin = (a: ImagePin | undefined, b: ImagePin | undefined): boolean => a?.tag === b?.tag && a?.digest === b?.digest;

function refused(messages: string[]): PromoteOutcome {
  return { exitCode: EXIT_REFUSED, output: "", messages: messages.map((m) => `refused: ${m}`), written: false, promoted: [] };
}

function error(message: string): PromoteOutcome {
  return { exitCode: EXIT_ERROR, output: "", messages: [message], written: false, promoted: [] };
}

/** Promotes under the target stack's lock (a dry run reads only and takes none). */
export async function promote(request: PromoteRequest): Promise<PromoteOutcome> {
  const run = () => Promise.resolve(promoteUnlocked(request));
  try {
    if (!request.dryRun) {
      checkWritable(stackFilePath(request.projectDir, request.to));
    }
    return request.dryRun
      ? await run()
      : await withStackLock(
          { root: request.projectDir, stack: request.to, command: `myoci promote --from ${request.from} --to ${request.to}`, waitMs: request.lockWaitMs },
          run,
        );
  } catch (e) {
    if (e instanceof StackLockedError || e instanceof ConfigError || e instanceof FileWriteError) {
      return error(e.message);
    }
    throw e;
  }
}

function promoteUnlocked(request: PromoteRequest): PromoteOutcome {
  let source: StackConfig;
  let target: StackConfig;
  try {
    source = loadStackFile(request.projectDir, request.from, { placeholderSecrets: true });
    target = loadStackFile(request.projectDir, request.to, { placeholderSecrets: true });
  } catch (e) {
    if (e instanceof ConfigError) {
      return error(e.message);
    }
    throw e;
  }
  const targetFile = stackFilePath(request.projectDir, request.to);
  const targetName = path.basename(targetFile);
  const sourceName = path.basename(stackFilePath(request.projectDir, request.from));
  const recordFile = path.resolve(request.projectDir, target.promotion.record);
  let verified: ReturnType<typeof latestVerified>;
  try {
    verified = latestVerified(readPromotionRecord(recordFile), request.from);
  } catch (e) {
    if (e instanceof ConfigError) {
      return error(e.message);
    }
    throw e;
  }

  for (const name of request.components) {
    if (!isComponentId(name)) {
      return error(`${sourceName}: ${PROJECT}:images.${name}: unknown component (expected one of the catalog's ids)`);
    }
    if (!source.images[name]) {
      return error(`${sourceName}: ${PROJECT}:images.${name} = (missing): stack ${request.from} does not pin ${name}, so there is nothing to promote`);
    }
  }
  const shipperSwitch = source.logShipper !== target.logShipper;
  const oldShipper = target.logShipper;
  const newShipper = source.logShipper;
  let candidates: ComponentId[] =
    request.components.length > 0
      ? inCatalogOrder(new Set(request.components as ComponentId[]))
      : inCatalogOrder((Object.keys(source.images) as ComponentId[]).filter((c) => !samePin(source.images[c], target.images[c])));

  // Log shipper: the target runs exactly one shipper, named by myoci:logShipper. Promoting the other one is a switch.
  if (shipperSwitch) {
    const touchesShipper = candidates.includes(newShipper) || request.switchLogShipper;
    if (touchesShipper && !request.switchLogShipper) {
      return refused([
        `${targetName}: ${PROJECT}:logShipper = "${oldShipper}": promoting ${newShipper} ${source.images[newShipper]?.tag ?? ""} means switching the log shipper ` +
          `(${oldShipper} → ${newShipper}, removing the ${oldShipper} pin); pass --switch-log-shipper to do that, or name the other components to promote without it`,
      ]);
    }
    if (request.switchLogShipper && !candidates.includes(newShipper)) {
      candidates = inCatalogOrder([...candidates, newShipper]);
    }
  } else if (request.switchLogShipper) {
    return error(`--switch-log-shipper: ${sourceName} and ${targetName} both use ${PROJECT}:logShipper = "${oldShipper}"; nothing to switch`);
  }

  const unverified: string[] = [];
  for (const component of candidates) {
    const pin = source.images[component]!;
    const record = verified[component];
    if (!record || record.digest !== pin.digest) {
      const latest = record ? `; the latest digest it verified is ${record.tag}@${record.digest} (${record.recordedAt})` : "";
      unverified.push(`${component} ${pin.tag}@${pin.digest}: stack ${request.from} has not verified this digest${latest}`);
    }
  }
  if (unverified.length > 0) {
    return refused(unverified);
  }

  const changes: Partial<Record<ComponentId, ImagePin | null>> = {};
  for (const component of candidates) {
    changes[component] = source.images[component]!;
  }
  const scalars: Record<string, string> = {};
  if (shipperSwitch && request.switchLogShipper) {
    changes[oldShipper] = null;
    scalars.logShipper = newShipper;
  }
  const after: Partial<Record<ComponentId, ImagePin>> = { ...target.images };
  for (const [component, pin] of Object.entries(changes) as [ComponentId, ImagePin | null][]) {
    if (pin === null) {
      delete after[component];
    } else {
      after[component] = pin;
    }
  }
  const verdict = judgePinSet(target, after);
  const warnings = verdict.warnings.map((w) => `warning (already the case before this promotion): ${w}`);
  if (verdict.refusals.length > 0) {
    return {
      ...refused(verdict.refusals.map((r) => `${targetName}: ${r}`)),
      messages: [...verdict.refusals.map((r) => `refused: ${targetName}: ${r}`), ...warnings],
    };
  }

  const promoted = candidates.filter((c) => !samePin(target.images[c], source.images[c]));
  const result = editStackFile(targetFile, { images: changes, scalars }, { dryRun: request.dryRun });
  if (result.changed && !request.dryRun)
    recordProvenance(
      provenancePath(request.projectDir),
      promoted.map((c) => promotion(c, source.images[c]!, request.from)),
    );
  const diff = unifiedDiff(result.before, result.after, `a/${targetName}`, `b/${targetName}`);
  const lines = promoted.map((c) => `  ${c}: ${target.images[c]?.tag ?? "(none)"} → ${source.images[c]!.tag}@${source.images[c]!.digest}`);
  if (shipperSwitch && request.switchLogShipper) {
    lines.push(`  ${PROJECT}:logShipper: ${oldShipper} → ${newShipper} (${oldShipper} pin removed)`);
  }
  const summary = !result.changed
    ? `${targetName}: already pins what ${request.from} verified; nothing to promote\n`
    : `${targetName}: ${request.dryRun ? "dry run, nothing written; would promote" : "promoted"} from ${request.from}:\n${lines.join("\n")}\n`;
  return { exitCode: EXIT_OK, output: diff + summary, messages: warnings, written: result.changed && !request.dryRun, promoted };
}
