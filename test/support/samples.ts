// The upstream sample manifests the suite checks us against (shared/ sits beside the project).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SAMPLES_DIR = resolve(PROJECT_ROOT, '../shared/cnpg-samples');
export const CNPG_BIN = join(PROJECT_ROOT, 'bin/cnpg');

/** The two upstream samples that upstream's own CRDs reject, and the field that makes them invalid. */
export const INVALID_SAMPLES: Record<string, string> = {
  'cluster-example-bis.yaml': 'spec.backup.volumeSnapshot.groupSnapshot',
  'cluster-restore-with-tablespaces.yaml': 'spec.tablespaces',
};

export interface SampleFile {
  name: string;
  path: string;
  text: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const p = join(dir, entry);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

export function sampleFiles(): SampleFile[] {
  return walk(SAMPLES_DIR)
    .sort()
    .map((p) => ({ name: relative(SAMPLES_DIR, p), path: p, text: readFileSync(p, 'utf8') }));
}

/** Every document of every sample, as plain objects. */
export function sampleDocuments(): { file: string; doc: Record<string, unknown> }[] {
  return sampleFiles().flatMap((f) =>
    parseAllDocuments(f.text)
      .map((d) => d.toJS() as unknown)
      .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
      .map((doc) => ({ file: f.name, doc })),
  );
}
