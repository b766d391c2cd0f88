/**
 * Reading the files users write: bytes → UTF-8 text (invalid UTF-8 is reported with its line, never replaced by
 * U+FFFD), and YAML text → Document as Pulumi reads it (comments kept; anchors, aliases and `<<` merge keys
 * resolved, as go-yaml v3 does). Every problem becomes one ConfigError naming file and line.
 */
import { isUtf8 } from "node:buffer";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument, type Document } from "yaml";
import { ConfigError } from "./schema";

/** Aliases a document may expand (a "billion laughs" file is refused, not expanded). */
export const MAX_ALIAS_COUNT = 1000;

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) {
      return i;
    }
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) {
        return i;
      }
    }
    // overlong 3/4-byte forms, surrogates and code points above U+10FFFF
    const c1 = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 > 0x9f) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 > 0x8f)) {
      return i;
    }
    i += length;
  }
  return -1;
}

/**
 * Decodes `bytes` as UTF-8; throws ConfigError naming `shownAs`, the line and the byte when they are not UTF-8.
 * Valid UTF-8 round-trips exactly (BOM included), so an edit of the text keeps every other byte.
 */
export function decodeUtf8(bytes: Uint8Array, shownAs: string, kind = "file"): string {
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new ConfigError(
      [
        {
          file: shownAs,
          key: `(line ${line}, column ${at - lineStart + 1})`,
          value: `byte 0x${bytes[at]!.toString(16).padStart(2, "0")}`,
          expected: "expected UTF-8 text (save the file as UTF-8; Pulumi's YAML reader refuses other encodings too)",
        },
      ],
      kind,
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Reads `file` as UTF-8 text; a missing or unreadable file is a ConfigError naming its kind and path as given. */
export function readTextFile(file: string, kind: string, shownAs: string = file): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(code ?? error);
    throw new ConfigError([{ file: shownAs, key: "(file)", value: "(unreadable)", expected: `expected a readable ${kind} (${reason})` }], kind);
  }
  return decodeUtf8(bytes, shownAs, kind);
}

export function parseYamlDocument(text: string, file: string): Document.Parsed {
  const document = parseDocument(text, { merge: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    // The first error only: the parser's follow-up errors repeat the same mistake in other words.
    const first = document.errors[0]!;
    throw new ConfigError(
      [
        {
          file: path.basename(file),
          key: `(line ${first.linePos?.[0].line ?? "?"})`,
          value: "(invalid YAML)",
          expected: first.message.split("\n")[0] ?? "valid YAML",
        },
      ],
      "YAML",
    );
  }
  return document;
}
