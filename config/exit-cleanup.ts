/**
 * Synchronous clean-ups (temp files, lock files) that must run however the process ends: normally, on an
 * uncaught error, or on SIGINT/SIGTERM/SIGHUP. A SIGKILL cannot be caught: locks of dead pids are taken over and
 * temp files carry the pid, so the next run removes them.
 */

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;
/** Signals a command handles itself (it ends normally later; the clean-ups then run on "exit"). */
const owned = new Set<NodeJS.Signals>();

const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // a clean-up must never hide the reason the process ends
    }
  }
}

function install(): void {
  if (installed) {
    return;
  }
  installed = true;
  process.on("exit", runAll);
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal as NodeJS.Signals, () => {
      if (owned.has(signal as NodeJS.Signals)) {
        return;
      }
      runAll();
      // the default action of the signal, as the shell expects it (128 + signal number)
      process.exit(code);
    });
  }
}

/** Registers `cleanup` until the returned function is called (which unregisters it without running it). */
export function onExitCleanup(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/**
 * For a command that handles `signal` itself (rollout/rollback: the first Ctrl-C stops between steps, the second
 * cancels `pulumi up`): the clean-ups no longer exit on it. Returns the function that gives it back.
 */
export function ownSignal(signal: NodeJS.Signals): () => void {
  owned.add(signal);
  return () => {
    owned.delete(signal);
  };
}

/** Whether a process of this host still runs `pid` (EPERM: it runs, as another user). The next run takes over what a dead pid left. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
