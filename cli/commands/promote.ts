/** `myoci promote --from staging --to prod [component …] [--dry-run] [--switch-log-shipper]` */
import { EXIT_ERROR } from "../lib/pin";
import { promote } from "../lib/promote";
import { parseCommandArgs } from "../lib/command";

const USAGE = `usage: myoci promote --from <stack> --to <stack> [component …] [--dry-run] [--switch-log-shipper]
  Copies to the target the pins the source stack currently pins AND has verified (promotions.yaml, kind: verified).
  Without components: every component whose pin differs. Refuses unverified digests and incompatible results.
  --switch-log-shipper  also switch the target's myoci:logShipper to the source's (e.g. promtail → alloy),
                        replacing the old shipper's pin; without it promoting the other shipper is refused.
  exit 0 promoted (or nothing to do / dry run), 1 refused, 2 bad input or error`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    "promote",
    USAGE,
    argv,
    {
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "switch-log-shipper": { type: "boolean", default: false },
      "project-dir": { type: "string" },
    },
    true,
  );
  if (!args.ok) {
    return args.exitCode;
  }
  const { values, positionals } = args;
  if (values.from === undefined || values.to === undefined || values.from === values.to) {
    process.stderr.write(`myoci promote: expected --from and --to naming two different stacks\n${USAGE}\n`);
    return EXIT_ERROR;
  }
  const outcome = await promote({
    projectDir: values["project-dir"] ?? process.cwd(),
    from: values.from,
    to: values.to,
    components: positionals,
    dryRun: values["dry-run"],
    switchLogShipper: values["switch-log-shipper"],
  });
  process.stdout.write(outcome.output);
  for (const message of outcome.messages) {
    process.stderr.write(`myoci promote: ${message}\n`);
  }
  return outcome.exitCode;
}
