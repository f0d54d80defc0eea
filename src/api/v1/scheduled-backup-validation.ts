// The ScheduledBackup validating webhook: a parsable schedule (warning when it does not have the
// usual six fields) and the same method rules as a Backup.
import type { AdmissionResult } from './admission-result.ts';
import { backupMethodErrors } from './backup-validation.ts';
import { cronFieldCount, parseCronSchedule } from './cron.ts';
import { type FieldError, fieldErr, path } from './field-error.ts';
import { type AdmissionContext, DEFAULT_ADMISSION_CONTEXT } from './kind-definition.ts';
import type { ScheduledBackup } from './scheduled-backup-types.ts';

export const SCHEDULE_FIELD_COUNT_WARNING =
  'Schedule parameter may not have the right number of arguments (usually six arguments are needed)';

export function validateScheduledBackup(
  obj: ScheduledBackup,
  ctx: AdmissionContext = DEFAULT_ADMISSION_CONTEXT,
): AdmissionResult {
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

  errors.push(...backupMethodErrors(spec, ctx, 'the method'));
  return { errors, warnings };
}
