// The Backup validating webhook: rules the CRD schema cannot express.
import type { AdmissionResult } from './admission-result.ts';
import { BACKUP_VOLUME_SNAPSHOT_DEADLINE_ANNOTATION, type Backup } from './backup-types.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import { type AdmissionContext, DEFAULT_ADMISSION_CONTEXT } from './kind-definition.ts';

export const MISSING_VOLUME_SNAPSHOT_CRD =
  'Cannot use volumeSnapshot backup method due to missing VolumeSnapshot CRD. If you installed the CRD ' +
  'after having started the operator, please restart it to enable VolumeSnapshot support';

/** Go's strconv.Atoi: an optionally signed decimal that fits 64 bits. */
export function isGoInt(value: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(value)) return false;
  const n = BigInt(value);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

interface BackupMethodSpec {
  method?: string;
  online?: boolean;
  onlineConfiguration?: unknown;
}

/**
 * The method checks Backup and ScheduledBackup share: the VolumeSnapshot CRD must be there, and
 * the online settings only apply to snapshots. Upstream words the two kinds' messages apart.
 */
export function backupMethodErrors(
  spec: BackupMethodSpec,
  ctx: AdmissionContext,
  subject: 'the backup method' | 'the method',
): FieldError[] {
  const errors: FieldError[] = [];
  if (spec.method === 'volumeSnapshot' && !ctx.volumeSnapshotAvailable) {
    errors.push(fieldErr.invalid(path('spec', 'method').text, spec.method, MISSING_VOLUME_SNAPSHOT_CRD));
  }
  if (spec.method === 'barmanObjectStore' && spec.online !== undefined) {
    const detail = `Online parameter can be specified only if ${subject} is volumeSnapshot`;
    errors.push(fieldErr.invalid(path('spec', 'online').text, spec.online, detail));
  }
  if (spec.method === 'barmanObjectStore' && spec.onlineConfiguration !== undefined) {
    const detail = `OnlineConfiguration parameter can be specified only if ${subject} is volumeSnapshot`;
    errors.push(fieldErr.invalid(path('spec', 'onlineConfiguration').text, spec.onlineConfiguration, detail));
  }
  return errors;
}

export function validateBackup(obj: Backup, ctx: AdmissionContext = DEFAULT_ADMISSION_CONTEXT): AdmissionResult {
  const errors: FieldError[] = [];
  const spec = obj.spec;

  errors.push(...backupMethodErrors(spec, ctx, 'the backup method'));
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
