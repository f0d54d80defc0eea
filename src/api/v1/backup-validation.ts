// The Backup validating webhook: rules the CRD schema cannot express.
import { type AdmissionResult, admitted } from './admission-result.ts';
import { BACKUP_VOLUME_SNAPSHOT_DEADLINE_ANNOTATION, type Backup } from './backup-types.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import type { AdmissionContext } from './kind-definition.ts';

const ALL_AVAILABLE: AdmissionContext = { volumeSnapshotAvailable: true };

export const MISSING_VOLUME_SNAPSHOT_CRD =
  'Cannot use volumeSnapshot backup method due to missing VolumeSnapshot CRD. If you installed the CRD ' +
  'after having started the operator, please restart it to enable VolumeSnapshot support';

/** Go's strconv.Atoi: an optionally signed decimal that fits 64 bits. */
export function isGoInt(value: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(value)) return false;
  const n = BigInt(value);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

export function validateBackup(obj: Backup, ctx: AdmissionContext = ALL_AVAILABLE): AdmissionResult {
  const errors: FieldError[] = [];
  const spec = obj.spec;

  if (spec.method === 'volumeSnapshot' && !ctx.volumeSnapshotAvailable) {
    errors.push(fieldErr.invalid(path('spec', 'method').text, spec.method, MISSING_VOLUME_SNAPSHOT_CRD));
  }
  if (spec.method === 'barmanObjectStore' && spec.online !== undefined) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'online').text,
        spec.online,
        'Online parameter can be specified only if the backup method is volumeSnapshot',
      ),
    );
  }
  if (spec.method === 'barmanObjectStore' && spec.onlineConfiguration !== undefined) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'onlineConfiguration').text,
        spec.onlineConfiguration,
        'OnlineConfiguration parameter can be specified only if the backup method is volumeSnapshot',
      ),
    );
  }
  if (spec.method === 'plugin' && (spec.pluginConfiguration?.name ?? '') === '') {
    // Upstream reports the onlineConfiguration as the bad value here; we show the same.
    errors.push(
      fieldErr.invalid(
        path('spec', 'pluginConfiguration').text,
        spec.onlineConfiguration,
        'cannot be empty when the backup method is plugin',
      ),
    );
  }

  const deadline = obj.metadata?.annotations?.[BACKUP_VOLUME_SNAPSHOT_DEADLINE_ANNOTATION] ?? '';
  if (deadline !== '' && !isGoInt(deadline)) {
    errors.push(
      fieldErr.invalid(
        path('metadata', 'annotations', BACKUP_VOLUME_SNAPSHOT_DEADLINE_ANNOTATION).text,
        deadline,
        'must be an integer',
      ),
    );
  }
  return { errors, warnings: [] };
}

/** Update-only rules: none (the whole spec is immutable, which the CRD enforces). */
export function validateBackupUpdate(_obj: Backup, _old: Backup): AdmissionResult {
  return admitted();
}
