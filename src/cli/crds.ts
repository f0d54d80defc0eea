// `cnpg crds`: the CustomResourceDefinitions of every kind, printed or written as files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crdFileName, crdYaml } from '../api/v1/crd.ts';
import { KINDS } from '../api/v1/kinds.ts';

export function allCrdsYaml(): string {
  return KINDS.map(crdYaml).join('');
}

/** Writes one file per CRD into `dir` and returns their names. */
export function writeCrds(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return KINDS.map((def) => {
    const name = crdFileName(def);
    writeFileSync(join(dir, name), crdYaml(def));
    return name;
  });
}
