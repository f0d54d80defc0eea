// The Cluster validating webhook: upstream's validators, in upstream's order, over a defaulted
// Cluster. The rules themselves live in the topic modules beside this file.
import type { AdmissionResult } from './admission-result.ts';
import {
  inTreeBarmanWarnings,
  retentionPolicyWarnings,
  validateBackupConfiguration,
  validateRetentionPolicy,
} from './cluster-validation-backup.ts';
import {
  validateBootstrapMethod,
  validateBootstrapPgBaseBackupSource,
  validateBootstrapRecoveryDataSource,
  validateBootstrapRecoverySource,
  validateImport,
  validateInitDB,
  validatePgBaseBackupApplicationDatabase,
  validateRecoveryApplicationDatabase,
  validateRecoveryTarget,
  validateSuperuserSecret,
} from './cluster-validation-bootstrap.ts';
import {
  monitoringWarnings,
  validateAntiAffinity,
  validateEnv,
  validateHibernationAnnotation,
  validateLivenessPingerProbe,
  validateMaxSyncReplicas,
  validateMinSyncReplicas,
  validatePluginConfiguration,
  validatePodPatchAnnotation,
  validatePrimaryLease,
  validatePrimaryUpdateStrategy,
  validateResources,
  validateServiceAccountConfig,
  validateTolerations,
  validateUnixPermissionIdentifierChange,
} from './cluster-validation-pods.ts';
import {
  postgresWarnings,
  validateConfiguration,
  validateConfigurationChange,
  validateFailoverQuorum,
  validateFailoverQuorumAlphaAnnotation,
  validateImageChange,
  validateImageName,
  validateImagePullPolicy,
  validateLDAP,
  validateReplicationSlots,
  validateReplicationSlotsChange,
  validateSynchronizeLogicalDecoding,
  validateSynchronousReplicaConfiguration,
  validateWALLevelChange,
} from './cluster-validation-postgres.ts';
import {
  validateExtensions,
  validateManagedExtensions,
  validateManagedRoles,
  validateManagedServices,
  validatePodSelectorRefs,
} from './cluster-validation-services.ts';
import {
  storageWarnings,
  validateEphemeralVolumeSource,
  validateStorageChange,
  validateStorageSize,
  validateTablespaceBackupSnapshot,
  validateTablespaceNames,
  validateTablespacesChange,
  validateTablespaceStorageSize,
  validateWalStorageChange,
  validateWalStorageSize,
} from './cluster-validation-storage.ts';
import {
  maintenanceWindowWarnings,
  validateCerts,
  validateExternalClusters,
  validateName,
  validatePromotionToken,
  validateReplicaClusterChange,
  validateReplicaMode,
} from './cluster-validation-topology.ts';
import type { Cluster } from './cluster-types.ts';
import type { FieldError } from './field-error.ts';

type Rule = (cluster: Cluster) => FieldError[];
type ChangeRule = (cluster: Cluster, old: Cluster) => FieldError[];
type Warnings = (cluster: Cluster) => string[];

const CREATE_RULES: readonly Rule[] = [
  validateInitDB,
  validateRecoveryApplicationDatabase,
  validatePgBaseBackupApplicationDatabase,
  validateImport,
  validateSuperuserSecret,
  validateCerts,
  validateBootstrapMethod,
  validateImageName,
  validateImagePullPolicy,
  validateRecoveryTarget,
  validatePrimaryUpdateStrategy,
  validateMinSyncReplicas,
  validateMaxSyncReplicas,
  validateStorageSize,
  validateWalStorageSize,
  validateEphemeralVolumeSource,
  validateTablespaceStorageSize,
  validateName,
  validateTablespaceNames,
  validateBootstrapPgBaseBackupSource,
  validateTablespaceBackupSnapshot,
  validateBootstrapRecoverySource,
  validateBootstrapRecoveryDataSource,
  validateExternalClusters,
  validateTolerations,
  validateAntiAffinity,
  validateReplicaMode,
  validateBackupConfiguration,
  validateRetentionPolicy,
  validateConfiguration,
  validateSynchronousReplicaConfiguration,
  validateFailoverQuorumAlphaAnnotation,
  validateFailoverQuorum,
  validateLDAP,
  validateReplicationSlots,
  validateSynchronizeLogicalDecoding,
  validateEnv,
  validateManagedServices,
  validateManagedRoles,
  validateManagedExtensions,
  validateResources,
  validateHibernationAnnotation,
  validatePodPatchAnnotation,
  validatePromotionToken,
  validatePluginConfiguration,
  validateLivenessPingerProbe,
  validatePodSelectorRefs,
  validateExtensions,
  validateServiceAccountConfig,
  validatePrimaryLease,
];

const CHANGE_RULES: readonly ChangeRule[] = [
  validateImageChange,
  validateConfigurationChange,
  validateStorageChange,
  validateWalStorageChange,
  validateTablespacesChange,
  validateUnixPermissionIdentifierChange,
  validateReplicationSlotsChange,
  validateWALLevelChange,
  validateReplicaClusterChange,
];

const WARNINGS: readonly Warnings[] = [
  maintenanceWindowWarnings,
  inTreeBarmanWarnings,
  retentionPolicyWarnings,
  storageWarnings,
  postgresWarnings,
  monitoringWarnings,
];

const warningsOf = (cluster: Cluster) => WARNINGS.flatMap((w) => w(cluster));

/** The create rules (they run on update too, before the change rules). */
export function validateCluster(cluster: Cluster): AdmissionResult {
  return { errors: CREATE_RULES.flatMap((rule) => rule(cluster)), warnings: warningsOf(cluster) };
}

/** The update-only rules, comparing with the (defaulted) previous version. */
export function validateClusterUpdate(cluster: Cluster, old: Cluster): AdmissionResult {
  return { errors: CHANGE_RULES.flatMap((rule) => rule(cluster, old)), warnings: [] };
}
