/** The pack's policies, in the order they are reported. Import this (not ../index) in tests: it serves nothing. */
import type { Policies } from "@pulumi/policy";
import { disallowDangerousCapabilities } from "./disallow-dangerous-capabilities";
import { disallowFloatingImageTags } from "./disallow-floating-image-tags";
import { disallowOverdueVulnerabilities } from "./disallow-overdue-vulnerabilities";
import { disallowPlainCredentialEnv } from "./disallow-plain-credential-env";
import { disallowPrivilegedContainers } from "./disallow-privileged-containers";
import { disallowPublicPorts } from "./disallow-public-ports";
import { enforceCanonicalRepository } from "./enforce-canonical-repository";
import { enforceCompatibleVersions } from "./enforce-compatible-versions";
import { requireHealthcheck } from "./require-healthcheck";
import { requireImageDigest } from "./require-image-digest";
import { requireLogRotation } from "./require-log-rotation";
import { requireMemoryLimit } from "./require-memory-limit";
import { requirePostgresMigration } from "./require-postgres-migration";
import { requireProtectedDataVolumes } from "./require-protected-data-volumes";
import { requireReadonlyDockerSocket } from "./require-readonly-docker-socket";
import { requireRestartPolicy } from "./require-restart-policy";
import { requireVerifiedPromotion } from "./require-verified-promotion";
import { warnEndOfLife } from "./warn-end-of-life";
import { disallowHostDevices } from "./disallow-host-devices";
import { disallowHostNamespaces } from "./disallow-host-namespaces";
import { disallowPortsWithoutExternalNetwork } from "./disallow-ports-without-external-network";
import { disallowUnconfinedSecurity } from "./disallow-unconfined-security";
import { disallowWritableHostMounts } from "./disallow-writable-host-mounts";
import { enforceDigestTagBinding } from "./enforce-digest-tag-binding";
import { enforceVersionTransitions } from "./enforce-version-transitions";
import { requireDigestProvenance } from "./require-digest-provenance";
import { requirePinnedContainerImage } from "./require-pinned-container-image";
import { warnOpenVulnerabilities } from "./warn-open-vulnerabilities";

export const allPolicies: Policies = [
  // images
  disallowFloatingImageTags,
  requireImageDigest,
  enforceCanonicalRepository,
  enforceCompatibleVersions,
  enforceDigestTagBinding,
  requireDigestProvenance,
  enforceVersionTransitions,
  warnEndOfLife,
  warnOpenVulnerabilities,
  disallowOverdueVulnerabilities,
  // containers
  requireHealthcheck,
  requireMemoryLimit,
  requireRestartPolicy,
  requireLogRotation,
  disallowPrivilegedContainers,
  disallowDangerousCapabilities,
  requirePinnedContainerImage,
  requireReadonlyDockerSocket,
  disallowWritableHostMounts,
  disallowHostNamespaces,
  disallowUnconfinedSecurity,
  disallowHostDevices,
  disallowPublicPorts,
  disallowPortsWithoutExternalNetwork,
  disallowPlainCredentialEnv,
  // data and promotion
  requireProtectedDataVolumes,
  requirePostgresMigration,
  requireVerifiedPromotion,
];

export {
  disallowHostDevices,
  disallowHostNamespaces,
  disallowPortsWithoutExternalNetwork,
  disallowUnconfinedSecurity,
  disallowWritableHostMounts,
  enforceDigestTagBinding,
  enforceVersionTransitions,
  requireDigestProvenance,
  requirePinnedContainerImage,
  disallowDangerousCapabilities,
  disallowFloatingImageTags,
  disallowOverdueVulnerabilities,
  disallowPlainCredentialEnv,
  disallowPrivilegedContainers,
  disallowPublicPorts,
  enforceCanonicalRepository,
  enforceCompatibleVersions,
  requireHealthcheck,
  requireImageDigest,
  requireLogRotation,
  requireMemoryLimit,
  requirePostgresMigration,
  requireProtectedDataVolumes,
  requireReadonlyDockerSocket,
  requireRestartPolicy,
  requireVerifiedPromotion,
  warnEndOfLife,
  warnOpenVulnerabilities,
};
