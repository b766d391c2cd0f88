import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CATALOG, checkTransition, parseTag, type ParsedTag } from "../../catalog";
import { notApplicable, requireType } from "../lib/applies";
import { componentOf, displayName, LABEL, labelsOf, TYPES } from "../lib/resources";

const major = (n: number): ParsedTag => ({ raw: String(n), numbers: [n, 0], suffix: "", security: 0 });

export const requirePostgresMigration: ResourceValidationPolicy = {
  name: "require-postgres-migration",
  description: "A PostgreSQL container never runs a major version other than the one its data volume holds, unless a migration is declared.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    if (componentOf(args.props) !== "postgres") {
      notApplicable(args, "not a PostgreSQL container");
    }
    const labels = labelsOf(args.props);
    const name = displayName(args.props, args.name);
    const version = parseTag(labels[LABEL.version] ?? "", CATALOG.postgres.tagScheme);
    const dataMajorText = labels[LABEL.postgresDataMajor];
    if (!version.ok) {
      return; // enforce-canonical-repository reports a tag outside the scheme
    }
    const running = version.tag.numbers[0] ?? 0;
    if (dataMajorText === undefined || !/^\d+$/.test(dataMajorText)) {
      reportViolation(
        `${name} lacks the label ${LABEL.postgresDataMajor} (the major version its data volume holds), so a major-version change cannot be detected.`,
      );
      return;
    }
    const dataMajor = Number(dataMajorText);
    const declared = labels[LABEL.postgresMigration];
    const expected = `${dataMajor}->${running}`;
    if (declared !== undefined && dataMajor !== running && declared !== expected) {
      reportViolation(`${name} declares the migration ${declared}, but its data is PostgreSQL ${dataMajor} and the image is ${running}: declare ${expected}.`);
      return;
    }
    for (const violation of checkTransition({ postgres: major(dataMajor) }, { postgres: version.tag }, { postgresMigration: declared === expected }).filter(
      (v) => v.rule === "postgres-major-needs-migration",
    )) {
      reportViolation(`${name}: ${violation.message}`);
    }
  },
};
