/**
 * `myoci pin`: validate a component/tag/digest, resolve the digest when not given, judge the new pin set with the
 * catalog's rules, refuse downgrades unless allowed, then edit Pulumi.<stack>.yaml atomically (or only diff it).
 */
import * as path from "node:path";
import { CATALOG, classifyChange, DIGEST_PATTERN, describeScheme, isComponentId, parseTag, type ComponentId, type ImagePin } from "../../../catalog";
import { checkWritable, FileWriteError } from "../../../config/atomic-write";
import { ConfigError, PROJECT, requiredComponents } from "../../../config/schema";
import { loadStackFile, stackFilePath } from "../../../config/stack-file";
import { provenancePath, recordProvenance, registryResolution } from "../../../config/provenance";
import { editStackFile } from "../../../config/stack-file/edit";
import { unifiedDiff } from "../../framework/output/diff";
import { StackLockedError, withStackLock } from "../stack-lock";
import { judgePinSet } from "./rules";
import type { DigestResolver } from "../../adapters/registry/client";

export { judgePinSet, type PinSetVerdict } from "./rules";

export type { DigestResolver } from "../../adapters/registry/client";

/** Exit codes shared by pin and promote: 0 written (or nothing to do), 1 refused by a rule, 2 bad input or error. */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_ERROR = 2;

export interface PinRequest {
  readonly projectDir: string;
  readonly stack: string;
  readonly component: string;
  readonly tag: string;
  readonly digest?: string;
  readonly dryRun?: boolean;
  readonly allowDowngrade?: boolean;
  /** How long to wait for another run holding the stack's lock (default: the lock's own). */
  readonly lockWaitMs?: number;
}

export interface PinOutcome {
  readonly exitCode: number;
  /** Lines for stdout (the diff, what was done). */
  readonly output: string;
  /** Lines for stderr (refusals, warnings). */
  readonly messages: readonly string[];
  readonly written: boolean;
}

/** Bad input: exit 2, names file, key and value. */
export class PinInputError extends Error {}

function badInput(file: string, key: string, value: string, expected: string): never {
  throw new PinInputError(`${file}: ${key} = ${JSON.stringify(value)}: ${expected}`);
}

export async function pinComponent(request: PinRequest, resolver: DigestResolver | (() => DigestResolver)): Promise<PinOutcome> {
  try {
    const file = stackFilePath(request.projectDir, request.stack);
    const name = path.basename(file);
    if (!isComponentId(request.component)) {
      badInput(name, `${PROJECT}:images`, request.component, `expected a known component (known: ${Object.keys(CATALOG).join(", ")})`);
    }
    const component: ComponentId = request.component;
    const key = `${PROJECT}:images.${component}`;
    const entry = CATALOG[component];
    const parsed = parseTag(request.tag, entry.tagScheme);
    if (!parsed.ok) {
      badInput(name, `${key}.tag`, request.tag, `${parsed.reason}; ${entry.title} tags have ${describeScheme(entry.tagScheme)}`);
    }
    if (request.digest !== undefined && !DIGEST_PATTERN.test(request.digest)) {
      badInput(name, `${key}.digest`, request.digest, "expected sha256: followed by 64 lower-case hex digits");
    }
    const config = loadStackFile(request.projectDir, request.stack, { placeholderSecrets: true });
    if (!request.dryRun) {
      checkWritable(file); // before the registry is asked: a file that cannot be written fails at once
    }
    if (!requiredComponents(config.logShipper).includes(component)) {
      badInput(
        name,
        key,
        request.component,
        `expected a component this stack runs: ${PROJECT}:logShipper is "${config.logShipper}" (switch shippers with myoci promote --switch-log-shipper)`,
      );
    }

    let digest = request.digest;
    if (digest === undefined) {
      const source = typeof resolver === "function" ? resolver() : resolver;
      try {
        digest = await source.resolveDigest(entry.registry, entry.repository, request.tag);
      } catch (error) {
        throw new PinInputError(
          `${name}: ${key}.tag = ${JSON.stringify(request.tag)}: could not resolve the digest of ${entry.registry}/${entry.repository}:${request.tag}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (!DIGEST_PATTERN.test(digest)) {
        badInput(name, `${key}.digest`, digest, `the registry answered a malformed digest for ${entry.registry}/${entry.repository}:${request.tag}`);
      }
    }
    const pin: ImagePin = { tag: request.tag, digest };
    // The read–judge–write runs under the stack's lock: a concurrent pin or promote of this stack waits.
    const apply = () => Promise.resolve(judgeAndWrite(request, file, component, pin));
    return request.dryRun
      ? await apply()
      : await withStackLock(
          { root: request.projectDir, stack: request.stack, command: `myoci pin ${component} ${request.tag}`, waitMs: request.lockWaitMs },
          apply,
        );
  } catch (error) {
    if (error instanceof PinInputError || error instanceof ConfigError || error instanceof StackLockedError || error instanceof FileWriteError) {
      return { exitCode: EXIT_ERROR, output: "", messages: [error.message], written: false };
    }
    throw error;
  }
}

/** Re-reads the stack file (under the lock), judges the new pin set and writes it. */
function judgeAndWrite(request: PinRequest, file: string, component: ComponentId, pin: ImagePin): PinOutcome {
  const name = path.basename(file);
  const key = `${PROJECT}:images.${component}`;
  const entry = CATALOG[component];
  const config = loadStackFile(request.projectDir, request.stack, { placeholderSecrets: true });
  if (!requiredComponents(config.logShipper).includes(component)) {
    badInput(name, key, component, `expected a component this stack runs: ${PROJECT}:logShipper is "${config.logShipper}"`);
  }
  const parsed = parseTag(pin.tag, entry.tagScheme);
  if (!parsed.ok) {
    badInput(name, `${key}.tag`, pin.tag, parsed.reason);
  }
  const current = config.images[component];
  const messages: string[] = [];
  if (current) {
    const from = parseTag(current.tag, entry.tagScheme);
    if (from.ok && classifyChange(from.tag, parsed.tag) === "downgrade" && !request.allowDowngrade) {
      return {
        exitCode: EXIT_REFUSED,
        output: "",
        messages: [`refused: ${name}: ${key}.tag ${current.tag} → ${request.tag} is a downgrade; pass --allow-downgrade if that is intended`],
        written: false,
      };
    }
  }
  const after = { ...config.images, [component]: pin };
  const verdict = judgePinSet(config, after);
  messages.push(...verdict.warnings.map((w) => `warning (already the case before this pin): ${w}`));
  if (verdict.refusals.length > 0) {
    return {
      exitCode: EXIT_REFUSED,
      output: "",
      messages: [...verdict.refusals.map((r) => `refused: ${name}: ${key} = ${pin.tag}@${pin.digest}: ${r}`), ...messages],
      written: false,
    };
  }
  const result = editStackFile(file, { images: { [component]: pin } }, { dryRun: request.dryRun });
  // A digest this run resolved from the registry gets its provenance record (a hand-given --digest does not).
  if (result.changed && !request.dryRun && request.digest === undefined)
    recordProvenance(provenancePath(request.projectDir), [registryResolution(component, pin, "pin")]);
  const diff = unifiedDiff(result.before, result.after, `a/${name}`, `b/${name}`);
  const summary = !result.changed
    ? `${name}: ${key} is already ${pin.tag}@${pin.digest}; nothing to change\n`
    : request.dryRun
      ? `${name}: dry run, nothing written\n`
      : `${name}: pinned ${component} to ${pin.tag}@${pin.digest}\n`;
  return { exitCode: EXIT_OK, output: diff + summary, messages, written: result.changed && !request.dryRun };
}
