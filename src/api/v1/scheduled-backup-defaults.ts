// Defaulting of a ScheduledBackup (the mutating webhook): the fields the schema defaults, so that
// objects built in code read like stored ones.
import type { ScheduledBackup } from './scheduled-backup-types.ts';

export function defaultScheduledBackup(obj: ScheduledBackup): ScheduledBackup {
  const out = structuredClone(obj);
  out.spec.method ??= 'barmanObjectStore';
  out.spec.backupOwnerReference ??= 'none';
  return out;
}
