/**
 * Compatibility rules between the platform's images. Each rule is a pure function of the pinned versions;
 * the policy pack, `myoci check`/`pin`/`promote` and COMPATIBILITY_MATRIX.md all use these, never copies.
 */
import { CATALOG, type ComponentId } from "./images";
import { compareTags, majorMinor, parseTag, plainVersion, type ParsedTag } from "./tags";

/** The parsed tag of every image a stack pins (absent components are simply not checked). */
export type VersionSet = Partial<Record<ComponentId, ParsedTag>>;

export interface CompatibilityRule {
  readonly id: string;
  readonly title: string;
  readonly reason: string;
  readonly source: string;
  readonly components: readonly ComponentId[];
  /** The components are released together under one version: update tools propose them as one change (renovate.json groups). */
  readonly releasedTogether?: boolean;
  /** Returns one message per violation (empty: compatible). */
  readonly check: (versions: VersionSet) => string[];
}

/** Rules about a change from one pin set to the next (a rollout, `pin`, `promote`). */
export interface TransitionRule {
  readonly id: string;
  readonly title: string;
  readonly reason: string;
  readonly source: string;
  readonly check: (from: VersionSet, to: VersionSet, options: TransitionOptions) => string[];
}

export interface TransitionOptions {
  /** A PostgreSQL major migration (dump → new volume → restore) has been declared. */
  readonly postgresMigration?: boolean;
}

const v = (tag: ParsedTag): string => plainVersion(tag);
const below = (tag: ParsedTag, numbers: number[]): boolean => compareTags(tag, { raw: "", numbers, suffix: "", security: 0 }) < 0;

/** The last Promtail release line: no promtail image exists after 3.6.x. */
export const PROMTAIL_LAST_LINE = [3, 6] as const;

export const COMPATIBILITY_RULES: readonly CompatibilityRule[] = [
  {
    id: "loki-promtail-same-minor",
    title: "Loki and Promtail share major.minor",
    reason: "Promtail is released with Loki; mixed lines are untested and break on push API and config changes.",
    source: "grafana.com Loki/Promtail docs",
    components: ["loki", "promtail"],
    releasedTogether: true,
    check: ({ loki, promtail }) =>
      loki && promtail && majorMinor(loki) !== majorMinor(promtail)
        ? [`Promtail ${v(promtail)} and Loki ${v(loki)} must share major.minor (${majorMinor(promtail)} ≠ ${majorMinor(loki)}).`]
        : [],
  },
  {
    id: "promtail-last-release-line",
    title: "Promtail stops at 3.6",
    reason: "Promtail reached end of life; no image exists after 3.6.x, so Loki beyond 3.6 needs Grafana Alloy instead.",
    source: "grafana/loki issue 16929; scylladb/scylla-monitoring PR 2885",
    components: ["loki", "promtail"],
    check: ({ loki, promtail }) => {
      const messages: string[] = [];
      const [major, minor] = PROMTAIL_LAST_LINE;
      if (promtail && !below(promtail, [major, minor + 1, 0])) {
        messages.push(`Promtail ${v(promtail)} does not exist: the last Promtail release line is ${major}.${minor}.x.`);
      }
      if (promtail && loki && !below(loki, [major, minor + 1, 0])) {
        messages.push(`Loki ${v(loki)} cannot be paired with Promtail (last line ${major}.${minor}.x): migrate the log shipper to Grafana Alloy.`);
      }
      return messages;
    },
  },
  {
    id: "loki-healthcheck-possible",
    title: "Loki 3.6.0–3.6.4 cannot be health-checked",
    reason:
      "Loki 3.6.0 moved to distroless static (no shell, no wget) and the built-in `-health` check arrived in 3.6.5: in between no healthcheck can run in the container, so `up` (wait) can never see it healthy.",
    source: "grafana/loki cmd/loki/Dockerfile@v3.6.0, cmd/loki/main.go@v3.6.4 and @v3.6.5; issue 20149",
    components: ["loki"],
    check: ({ loki }) =>
      loki && !below(loki, [3, 6, 0]) && below(loki, [3, 6, 5])
        ? [`Loki ${v(loki)} has no way to run a healthcheck (distroless, no -health before 3.6.5): pin 3.6.5 or later, or 3.5.x.`]
        : [],
  },
  {
    id: "netbird-one-version",
    title: "NetBird management, signal and relay run one version",
    reason: "The three servers are released together under one version; every public deployment pins matching triples.",
    source: "docs.netbird.io; netbirdio/netbird infrastructure_files",
    components: ["netbirdManagement", "netbirdSignal", "netbirdRelay"],
    releasedTogether: true,
    check: ({ netbirdManagement, netbirdSignal, netbirdRelay }) => {
      const servers: [string, ParsedTag | undefined][] = [
        ["management", netbirdManagement],
        ["signal", netbirdSignal],
        ["relay", netbirdRelay],
      ];
      const present = servers.filter((entry): entry is [string, ParsedTag] => entry[1] !== undefined);
      const versions = new Set(present.map(([, tag]) => v(tag)));
      return versions.size > 1 ? [`NetBird servers must run one version, found ${present.map(([name, tag]) => `${name} ${v(tag)}`).join(", ")}.`] : [];
    },
  },
  {
    id: "zitadel-postgres-supported",
    title: "Zitadel v3+ needs PostgreSQL 14–18",
    reason: "Zitadel v3 dropped CockroachDB and supports PostgreSQL 14 to 18 only.",
    source: "zitadel/zitadel issue 9414; zitadel.com requirements",
    components: ["zitadel", "postgres"],
    check: ({ zitadel, postgres }) => {
      if (!zitadel || !postgres || (zitadel.numbers[0] ?? 0) < 3) {
        return [];
      }
      const major = postgres.numbers[0] ?? 0;
      return major < 14 || major > 18 ? [`Zitadel ${v(zitadel)} supports PostgreSQL 14–18, not PostgreSQL ${v(postgres)}.`] : [];
    },
  },
  {
    id: "grafana-loki-datasource",
    title: "Grafana's Loki data source supports the pinned Loki",
    reason: "Grafana 11 supports Loki 2.8 and later as a data source; Grafana 12 and later need Loki 2.9 or later.",
    source: "grafana.com Loki data source docs (11.x, 12.x)",
    components: ["grafana", "loki"],
    check: ({ grafana, loki }) => {
      if (!grafana || !loki) {
        return [];
      }
      const minimum = (grafana.numbers[0] ?? 0) >= 12 ? [2, 9, 0] : [2, 8, 0];
      return below(loki, minimum) ? [`Grafana ${v(grafana)}'s Loki data source needs Loki ${minimum.join(".")} or later, not ${v(loki)}.`] : [];
    },
  },
];

export const TRANSITION_RULES: readonly TransitionRule[] = [
  {
    id: "postgres-major-needs-migration",
    title: "A PostgreSQL major change needs a declared migration",
    reason: "A new major cannot read the old data directory; it needs dump/restore or pg_upgrade, never an image swap.",
    source: "docker-library/docs postgres",
    check: (from, to, options) => {
      const [a, b] = [from.postgres?.numbers[0], to.postgres?.numbers[0]];
      return a !== undefined && b !== undefined && a !== b && !options.postgresMigration
        ? [`PostgreSQL ${a} → ${b} is a major-version change: declare a migration (myoci rollout --migrate) instead of swapping the image.`]
        : [];
    },
  },
  {
    id: "zitadel-v4-through-3.4",
    title: "Zitadel reaches v4 only from 3.4.1 or later",
    reason: "The v3 → v4 upgrade requires the latest 3.4.x (≥ 3.4.1) first, then `zitadel setup`.",
    source: "zitadel.com 'Upgrade v3 to v4'",
    check: (from, to) => {
      const [a, b] = [from.zitadel, to.zitadel];
      if (!a || !b || (b.numbers[0] ?? 0) < 4 || (a.numbers[0] ?? 0) >= 4) {
        return [];
      }
      return below(a, [3, 4, 1]) ? [`Zitadel ${v(a)} → ${v(b)} skips the required step: upgrade to 3.4.1 or later first.`] : [];
    },
  },
];

export interface RuleViolation {
  readonly rule: string;
  readonly message: string;
}

export function checkCompatibility(versions: VersionSet): RuleViolation[] {
  return COMPATIBILITY_RULES.flatMap((rule) => rule.check(versions).map((message) => ({ rule: rule.id, message })));
}

export function checkTransition(from: VersionSet, to: VersionSet, options: TransitionOptions = {}): RuleViolation[] {
  return TRANSITION_RULES.flatMap((rule) => rule.check(from, to, options).map((message) => ({ rule: rule.id, message })));
}

/** Parses a tag map (component → tag) into a VersionSet; tags that do not parse are skipped and reported. */
export function toVersionSet(tags: Partial<Record<ComponentId, string>>): { versions: VersionSet; errors: string[] } {
  const versions: VersionSet = {};
  const errors: string[] = [];
  for (const [component, tag] of Object.entries(tags) as [ComponentId, string | undefined][]) {
    if (tag === undefined) {
      continue;
    }
    const parsed = parseTag(tag, CATALOG[component].tagScheme);
    if (parsed.ok) {
      versions[component] = parsed.tag;
    } else {
      errors.push(`${component}: ${parsed.reason}`);
    }
  }
  return { versions, errors };
}
