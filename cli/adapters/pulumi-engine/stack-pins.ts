/**
 * Pins and the Postgres migration key of `Pulumi.<stack>.yaml`, read and written on disk — the only place the
 * rollout keeps state. Reads and writes go through config/stack-file (validated read; comment-preserving,
 * verified, atomic edit).
 */
import type { PinSet } from "../../../catalog";
import type { PostgresMigration } from "../../../config/schema";
import { loadStackFile, stackFilePath } from "../../../config/stack-file";
import { editStackFile } from "../../../config/stack-file/edit";
import type { PinChanges } from "../../../config/stack-file/pins";

export class StackFilePins {
  constructor(private readonly projectDir: string) {}

  file(stack: string): string {
    return stackFilePath(this.projectDir, stack);
  }

  /** The pins on disk (validated with the stack schema; secrets are never read). */
  read(stack: string): PinSet {
    return loadStackFile(this.projectDir, stack, { placeholderSecrets: true }).images;
  }

  /** Atomic, comment-preserving pin edit; a no-op when nothing differs. */
  write(stack: string, changes: PinChanges): void {
    editStackFile(this.file(stack), { images: changes });
  }

  /** Sets (or with `null` removes) `myoci:postgresMigration`; only its changed values or its own lines are written. */
  setPostgresMigration(stack: string, migration: PostgresMigration | null): void {
    editStackFile(this.file(stack), { postgresMigration: migration });
  }
}
