// `cnpg manifests`: the operator's installation, generated from code: the CRDs, then the
// Namespace, RBAC and Deployment (`kubectl apply -f` of the output installs the operator, as
// upstream's release manifest does). `--write DIR` refreshes the committed copies under DIR
// (config/manager, config/rbac; the CRDs are `cnpg crds --write config/crd`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { configFiles, manifestsYaml, operatorManifests } from '../operator/install/manifests.ts';
import { allCrdsYaml } from './crds.ts';

/** Writes the committed manifest files under `dir`; returns their paths relative to it. */
export function writeManifests(dir: string): string[] {
  return configFiles().map(({ path, objects }) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), manifestsYaml(objects));
    return path;
  });
}

export function registerManifestsCommand(program: Command): void {
  program
    .command('manifests')
    .description('print the installation manifests (CRDs, namespace, RBAC, operator Deployment)')
    .option('--image <image>', 'the operator image of the Deployment')
    .option('--write <dir>', 'write the operator manifests as files under DIR (manager/, rbac/) instead')
    .action((opts: { image?: string; write?: string }) => {
      if (opts.write !== undefined) {
        for (const path of writeManifests(opts.write)) process.stdout.write(`wrote ${join(opts.write, path)}\n`);
        return;
      }
      process.stdout.write(allCrdsYaml() + manifestsYaml(operatorManifests({ image: opts.image })));
    });
}
