/** In-memory I/O for running `myoci` commands in-process (as the GitHub CLI tests its commands). */
import type { CommandIO } from "../../cli/framework/command";

export interface MemoryIO extends CommandIO {
  readonly out: () => string;
  readonly err: () => string;
}

export function memoryIO(options: { cwd: string; env?: Record<string, string | undefined>; tty?: boolean; now?: Date }): MemoryIO {
  let stdout = "";
  let stderr = "";
  return {
    cwd: options.cwd,
    env: options.env ?? { PATH: process.env["PATH"] },
    now: () => options.now ?? new Date("2026-11-27T12:00:00Z"),
    stdout: { write: (chunk: string) => ((stdout += chunk), true), isTTY: options.tty === true },
    stderr: { write: (chunk: string) => ((stderr += chunk), true), isTTY: options.tty === true },
    out: () => stdout,
    err: () => stderr,
  };
}
