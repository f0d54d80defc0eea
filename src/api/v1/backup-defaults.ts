// Defaulting of a Backup (the mutating webhook): the backup method, so that a Backup built in code
// (by the ScheduledBackup controller or the plugin) reads like one the API server stored.
import type { Backup } from './backup-types.ts';

export function defaultBackup(obj: Backup): Backup {
  const out = structuredClone(obj);
  out.spec.method ??= 'barmanObjectStore';
  return out;
}
