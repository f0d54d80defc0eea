// The ScheduledBackup validating webhook: a parsable schedule (warning when it does not have the
// usual six fields) and the same method rules as a Backup.
import { type AdmissionResult, admitted } from './admission-result.ts';
import { MISSING_VOLUME_SNAPSHOT_CRD } from './backup-validation.ts';
import { cronFieldCount, parseCronSchedule } from './cron.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import type { AdmissionContext } from './kind-definition.ts';
import type { ScheduledBackup } from './scheduled-backup-types.ts';

const ALL_AVAILABLE: AdmissionContext = { volumeSnapshotAvailable: true };

export const SCHEDULE_FIELD_COUNT_WARNING =
  'Schedule parameter may not have the right number of arguments (usually six arguments are needed)';

export function validateScheduledBackup(obj: ScheduledBackup, ctx: AdmissionContext = ALL_AVAILABLE): AdmissionResult {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const spec = obj.spec;

  try {
    parseCronSchedule(spec.schedule);
    if (cronFieldCount(spec.schedule) !== 6) warnings.push(SCHEDULE_FIELD_COUNT_WARNING);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    errors.push(fieldErr.invalid(path('spec', 'schedule').text, spec.schedule, message));
  }

  if (spec.method === 'volumeSnapshot' && !ctx.volumeSnapshotAvailable) {
    errors.push(fieldErr.invalid(path('spec', 'method').text, spec.method, MISSING_VOLUME_SNAPSHOT_CRD));
  }
  if (spec.method === 'barmanObjectStore' && spec.online !== undefined) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'online').text,
        spec.online,
        'Online parameter can be specified only if the method is volumeSnapshot',
      ),
    );
  }
  if (spec.method === 'barmanObjectStore' && spec.onlineConfiguration !== undefined) {
    errors.push(
      fieldErr.invalid(
        path('spec', 'onlineConfiguration').text,
        spec.onlineConfiguration,
        'OnlineConfiguration parameter can be specified only if the method is volumeSnapshot',
      ),
    );
  }
  return { errors, warnings };
}

/** Update-only rules: none (an update is validated like a create; the CRD keeps `cluster`). */
export function validateScheduledBackupUpdate(_obj: ScheduledBackup, _old: ScheduledBackup): AdmissionResult {
  return admitted();
}
