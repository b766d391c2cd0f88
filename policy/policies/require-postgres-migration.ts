import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CATALOG, checkTransition, LABEL, parseTag, postgresDataPath, postgresMigrationLabel, postgresVolumeSuffix, type ParsedTag } from "../../catalog";
import { forType, notApplicable, requireType } from "../lib/applies";
import { arrayOf, componentOf, displayName, isUnknown, labelsOf, plainProps, TYPES } from "../lib/resources";

const major = (n: number): ParsedTag => ({ raw: String(n), numbers: [n, 0], suffix: "", security: 0 });

export const requirePostgresMigration: ResourceValidationPolicy = {
  name: "require-postgres-migration",
  description:
    "A PostgreSQL container never runs a major version other than the one its data volume holds, unless a migration is declared; its data volume is mounted at the data path of the image's major (18+: /var/lib/postgresql, up to 17: /var/lib/postgresql/data) and named for that major.",
  enforcementLevel: "mandatory",
  validateResource: forType(TYPES.container, (args, reportViolation) => {
    requireType(args, [TYPES.container]);
    const props = plainProps(args.props);
    if (componentOf(props) !== "postgres") {
      notApplicable(args, "not a PostgreSQL container");
    }
    const labels = labelsOf(props);
    const name = displayName(props, args.name);
    const version = parseTag(labels[LABEL.version] ?? "", CATALOG.postgres.tagScheme);
    const dataMajorText = labels[LABEL.postgresDataMajor];
    if (!version.ok) {
      return; // enforce-canonical-repository reports a tag outside the scheme
    }
    const running = version.tag.numbers[0] ?? 0;
    // The image's major decides where PGDATA is (docker-library/postgres Dockerfile: 18+ VOLUME /var/lib/postgresql,
    // up to 17 VOLUME /var/lib/postgresql/data); a volume elsewhere leaves the data in the container layer.
    const expectedPath = postgresDataPath(running);
    const named = arrayOf(props["volumes"]).filter((v) => typeof v["volumeName"] === "string");
    const data = named.filter((v) => v["containerPath"] === postgresDataPath(17) || v["containerPath"] === postgresDataPath(18));
    if (data.length === 0) {
      reportViolation(`${name} mounts no data volume at ${expectedPath} (PostgreSQL ${running}'s data path): its data would live in the container layer.`);
    }
    for (const volume of data) {
      const volumeName = String(volume["volumeName"]);
      if (volume["containerPath"] !== expectedPath) {
        reportViolation(
          `${name} runs PostgreSQL ${running} with its data volume ${isUnknown(volumeName) ? "" : `${volumeName} `}at ${String(volume["containerPath"])}: PostgreSQL ${running} keeps its data in ${expectedPath}.`,
        );
      } else if (!isUnknown(volumeName) && !volumeName.endsWith(postgresVolumeSuffix(running))) {
        reportViolation(
          `${name} runs PostgreSQL ${running} on the volume ${volumeName}, which is not named for major ${running} (…${postgresVolumeSuffix(running)}): another major's data must never be opened in place.`,
        );
      }
    }
    if (dataMajorText === undefined || !/^\d+$/.test(dataMajorText)) {
      reportViolation(
        `${name} lacks the label ${LABEL.postgresDataMajor} (the major version its data volume holds), so a major-version change cannot be detected.`,
      );
      return;
    }
    const dataMajor = Number(dataMajorText);
    const declared = labels[LABEL.postgresMigration];
    const expected = postgresMigrationLabel(dataMajor, running);
    if (declared !== undefined && dataMajor !== running && declared !== expected) {
      reportViolation(`${name} declares the migration ${declared}, but its data is PostgreSQL ${dataMajor} and the image is ${running}: declare ${expected}.`);
      return;
    }
    for (const violation of checkTransition({ postgres: major(dataMajor) }, { postgres: version.tag }, { postgresMigration: declared === expected }).filter(
      (v) => v.rule === "postgres-major-needs-migration",
    )) {
      reportViolation(`${name}: ${violation.message}`);
    }
  }),
};
