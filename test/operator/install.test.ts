// The operator's installation manifests: generated from code, committed under config/ and up to
// date, printed whole by `cnpg manifests`, and consistent with the `cnpg controller` they run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../src/api/v1/kinds.ts';
import { registerControllerCommand } from '../../src/cli/controller.ts';
import {
  configFiles,
  manifestsYaml,
  operatorDeployment,
  operatorManifests,
  operatorRules,
} from '../../src/operator/install/manifests.ts';
import { PROJECT_ROOT } from '../support/samples.ts';

const CNPG = join(PROJECT_ROOT, 'bin/cnpg');

describe('operator install manifests', () => {
  it('are committed under config/ and up to date (run `bin/cnpg manifests --write config`)', () => {
    for (const { path, objects } of configFiles()) {
      const committed = readFileSync(join(PROJECT_ROOT, 'config', path), 'utf8');
      assert.equal(committed, manifestsYaml(objects), `config/${path} is stale`);
    }
  });

  it('name what upstream names, and run `/manager controller` with the operator ServiceAccount', () => {
    assert.deepEqual(
      operatorManifests().map((o) => `${o.kind}/${o.metadata?.name}`),
      [
        'Namespace/cnpg-system',
        'ServiceAccount/cnpg-manager',
        'ClusterRole/cnpg-manager',
        'ClusterRoleBinding/cnpg-manager-rolebinding',
        'Deployment/cnpg-controller-manager',
      ],
    );
    const deployment = operatorDeployment({ image: 'example/op:dev' });
    const pod = deployment.spec?.template.spec;
    assert.equal(pod?.serviceAccountName, 'cnpg-manager');
    const container = pod?.containers[0];
    assert.equal(container?.name, 'manager');
    assert.equal(container?.image, 'example/op:dev');
    assert.deepEqual(container?.command, ['/manager']);
    assert.equal(container?.args?.[0], 'controller');
    assert.ok(container?.args?.includes('--leader-elect'));
    assert.equal(
      operatorDeployment().spec?.template.spec?.containers[0]?.image,
      'ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0',
    );
  });

  it('pass only flags `cnpg controller` accepts, probe the port it serves health on, and name its metrics port', () => {
    const program = new Command();
    registerControllerCommand(program);
    const controller = program.commands.find((c) => c.name() === 'controller');
    assert.ok(controller);
    const known = new Set(controller.options.map((o) => o.long));
    const container = operatorDeployment().spec?.template.spec?.containers[0];
    for (const arg of container?.args?.slice(1) ?? []) {
      assert.ok(known.has(arg.split('=')[0]), `${arg} is not a cnpg controller flag`);
    }
    const health = controller.options.find((o) => o.long === '--health-probe-bind-address');
    assert.equal(health?.defaultValue, `:${container?.readinessProbe?.httpGet?.port}`);
    const metrics = controller.options.find((o) => o.long === '--metrics-bind-address');
    const metricsPort = container?.ports?.find((p) => p.name === 'metrics');
    assert.equal(metricsPort?.containerPort, 8080);
    assert.equal(metrics?.defaultValue, `:${metricsPort?.containerPort}`);
  });

  it('grant every kind of ours to the operator', () => {
    const granted = new Set(
      operatorRules()
        .filter((r) => r.apiGroups?.includes('postgresql.cnpg.io'))
        .flatMap((r) => r.resources ?? []),
    );
    for (const def of KINDS) {
      if (def.kind === 'DatabaseRole') continue; // absent from the upstream role we follow: nothing reconciles it
      assert.ok(granted.has(def.plural), `no rule for ${def.plural}`);
    }
  });

  it('are printed whole by `cnpg manifests`: CRDs first, then the operator', () => {
    const r = spawnSync(CNPG, ['manifests', '--image', 'example/op:dev'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as { kind: string; metadata: { name: string } });
    assert.equal(docs.filter((d) => d.kind === 'CustomResourceDefinition').length, KINDS.length);
    assert.deepEqual(
      docs.slice(KINDS.length).map((d) => d.kind),
      ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment'],
    );
    assert.match(r.stdout, /image: example\/op:dev/);
  });
});
