/** YAML text parsed as a Document (comments kept); syntax errors become one ConfigError naming file and line. */
import * as path from "node:path";
import { parseDocument, type Document } from "yaml";
import { ConfigError } from "./schema";

export function parseYamlDocument(text: string, file: string): Document.Parsed {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((e) => ({
        file: path.basename(file),
        key: `(line ${e.linePos?.[0].line ?? "?"})`,
        value: "(invalid YAML)",
        expected: e.message.split("\n")[0] ?? "valid YAML",
      })),
    );
  }
  return document;
}
