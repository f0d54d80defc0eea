// Nothing admitted and ignored: every field of every kind the operator reconciles is used by the
// code outside src/api/ (a spec field read, a status field written or read), or refused by name in
// src/operator/cluster/unsupported.ts, or listed below with the reason it needs neither. A new
// schema field that nothing reads fails here, naming it. Kinds with no controller are wholly
// unsupported (docs/api-support.md says so); their fields are not walked.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { KINDS } from '../src/api/v1/kinds.ts';
import { RECONCILED_KINDS } from '../src/api/v1/reconciled-kinds.ts';
import type { SchemaNode } from '../src/api/v1/schema-validate.ts';
import { UNSUPPORTED_RULES } from '../src/operator/cluster/unsupported.ts';
import { namesUsedIn, type SchemaField, schemaFields, sourceFiles, walkFields } from './support/field-walk.ts';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

// The code that uses fields: everything under src/ but the API package (its reads are validation
// and defaulting) and the unsupported table (its reads are refusals).
const SOURCES = namesUsedIn(sourceFiles(SRC, (p) => p.startsWith('api/') || p === 'operator/cluster/unsupported.ts'));

/** Spec fields not read one by one here, by design; each covers what is under it. */
const NO_EFFECT_OF_THEIR_OWN = new Map([
  [
    'spec.backup.retentionPolicy',
    'prunes backups in an object store (spec.backup.barmanObjectStore, refused); as upstream, nothing without one',
  ],
  ['spec.backup.target', 'picks the instance a Backup runs on; Backups are not reconciled yet (docs/api-support.md)'],
  // An external cluster is only a definition: the features that connect to one (bootstrap.recovery,
  // bootstrap.pg_basebackup, initdb.import, replica) are refused; upstream too ignores one nothing names.
  ['spec.externalClusters[].connectionParameters', 'used only by the refused features that connect to it'],
  ['spec.externalClusters[].barmanObjectStore', 'used only by the refused features that restore from it'],
  ['spec.externalClusters[].plugin', 'used only by the refused features that restore from it'],
  // Prometheus' RelabelConfig: the operator copies each entry whole into the PodMonitor it keeps.
  ['spec.monitoring.podMonitorRelabelings', 'copied whole into the PodMonitor (src/operator/specs/pod-monitor.ts)'],
  [
    'spec.monitoring.podMonitorMetricRelabelings',
    'copied whole into the PodMonitor (src/operator/specs/pod-monitor.ts)',
  ],
]);

/** Status fields nothing writes, because what they report is not built; each covers what is under it. */
const STATUS_NOT_REPORTED = new Map([
  ['status.managedRolesStatus', 'managed roles are refused (spec.managed.roles)'],
  ['status.tablespacesStatus', 'tablespaces are refused (spec.tablespaces)'],
  ['status.lastPromotionToken', 'replica clusters are refused (spec.replica)'],
  ['status.demotionToken', 'replica clusters are refused (spec.replica)'],
  ['status.switchReplicaClusterStatus', 'replica clusters are refused (spec.replica)'],
  ['status.pluginStatus', 'CNPG-I plugins are refused (spec.plugins)'],
  ['status.pgDataImageInfo.extensions', 'image volume extensions are refused (spec.postgresql.extensions)'],
  ['status.targetPgDataImageInfo', 'the target of an in-place major upgrade, which is not built yet'],
  ['status.firstRecoverabilityPoint', 'backups are refused (spec.backup)'],
  ['status.firstRecoverabilityPointByMethod', 'backups are refused (spec.backup)'],
  ['status.lastSuccessfulBackup', 'backups are refused (spec.backup)'],
  ['status.lastSuccessfulBackupByMethod', 'backups are refused (spec.backup)'],
  ['status.lastFailedBackup', 'backups are refused (spec.backup)'],
  ['status.poolerIntegrations', 'Poolers are not reconciled yet'],
  ['status.danglingPVC', 'PVCs are reported as healthy or initializing only; none is left dangling or unusable'],
  ['status.unusablePVC', 'PVCs are reported as healthy or initializing only; none is left dangling or unusable'],
  ['status.resizingPVC', 'volume expansion is asked of the PVC and not followed in the status'],
  ['status.secretsResourceVersion', 'secret changes are not followed through resource versions'],
  ['status.configMapResourceVersion', 'config map changes are not followed through resource versions'],
  ['status.cloudNativePGCommitHash', "upstream's build identifiers: this is not upstream's build"],
  ['status.cloudNativePGOperatorHash', "upstream's build identifiers: this is not upstream's build"],
  ['status.availableArchitectures', "the architectures of upstream's instance manager binaries"],
  ['status.onlineUpdateEnabled', 'updating the instance manager in place is not built'],
]);

const ALLOWED = new Map([...NO_EFFECT_OF_THEIR_OWN, ...STATUS_NOT_REPORTED]);
const UNSUPPORTED = UNSUPPORTED_RULES.map((r) => r.field);

const RECONCILED = KINDS.filter((k) => RECONCILED_KINDS.has(k.kind));

/** The fields of one part (`spec`, `status`) of a kind's schema; none when the kind has no such part. */
function fieldsOf(schema: unknown, part: 'spec' | 'status'): SchemaField[] {
  const node = (schema as SchemaNode).properties?.[part];
  return node === undefined ? [] : schemaFields(node, part);
}

function unaccounted(fields: readonly SchemaField[], part: 'spec' | 'status'): string[] {
  const verdicts = walkFields(fields, {
    sources: SOURCES,
    unsupported: UNSUPPORTED,
    allowed: ALLOWED,
    writeCounts: part === 'status',
  });
  return verdicts.filter((v) => v.accountedBy === undefined).map((v) => v.path);
}

describe('the API field walk', () => {
  it('knows every reconciled kind', () => {
    assert.deepEqual(
      RECONCILED.map((k) => k.kind),
      [...RECONCILED_KINDS],
    );
  });

  for (const def of RECONCILED) {
    const spec = fieldsOf(def.schema, 'spec');
    if (spec.length > 0) {
      it(`finds every ${def.kind} spec field read outside src/api/, refused by name or allowed with a reason`, () => {
        assert.deepEqual(
          unaccounted(spec, 'spec'),
          [],
          'nothing outside src/api/ reads these fields: make them work, refuse them in ' +
            'src/operator/cluster/unsupported.ts, or allow them here with the reason',
        );
      });
    }
    it(`finds every ${def.kind} status field written or read outside src/api/, or allowed with a reason`, () => {
      const status = fieldsOf(def.schema, 'status');
      assert.ok(status.length > 0);
      assert.deepEqual(
        unaccounted(status, 'status'),
        [],
        'nothing outside src/api/ writes or reads these status fields: report them, or allow them here with the reason',
      );
    });
  }

  it('allows only fields that exist', () => {
    const fields = RECONCILED.flatMap((k) => [...fieldsOf(k.schema, 'spec'), ...fieldsOf(k.schema, 'status')]);
    const known = new Set(fields.map((f) => f.path));
    assert.deepEqual(
      [...ALLOWED.keys(), ...UNSUPPORTED.filter((f) => f.startsWith('spec.'))].filter((p) => !known.has(p)),
      [],
    );
  });
});
