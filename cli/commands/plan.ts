/** `npx myoci plan --stack s`: what the program would create (cli/commands/policy.ts runs it). */
import { processIO, type CommandIO } from "../framework/command";
import { runOffline } from "./policy";
import { PLAN } from "./specs";

export function run(argv: string[], io: CommandIO = processIO()): Promise<number> {
  return runOffline("plan", PLAN, argv, io);
}
