import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Affinity, V1PodTemplateSpec, V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';
import { Ajv } from 'ajv';
import { sampleDocuments } from '../../../test/support/samples.ts';
import { coreTableProblems, coreType } from './core-types.ts';
import type { Static } from './schema-kit.ts';

type Json = Record<string, unknown>;

const MODELS = [
  'V1Affinity',
  'V1Toleration',
  'V1ResourceRequirements',
  'V1PersistentVolumeClaimSpec',
  'V1PodTemplateSpec',
  'V1DeploymentStrategy',
  'V1EnvVar',
  'V1EnvFromSource',
  'V1SecurityContext',
  'V1PodSecurityContext',
  'V1SeccompProfile',
  'V1TopologySpreadConstraint',
  'V1ProjectedVolumeSource',
  'V1EphemeralVolumeSource',
  'V1ServiceSpec',
  'V1LabelSelector',
  'V1TypedLocalObjectReference',
  'V1ImageVolumeSource',
  'V1SecretKeySelector',
  'V1LocalObjectReference',
  'V1Condition',
];

const json = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as Json;

/** Follows `properties`/`items`/`additionalProperties` along a dotted path ('[]' = array items). */
function at(schema: unknown, path: string): Json {
  let node = json(schema);
  for (const step of path.split('.').filter(Boolean)) {
    const next =
      step === '[]' ? node.items : step === '{}' ? node.additionalProperties : (node.properties as Json)?.[step];
    assert.ok(next, `${path}: no ${step}`);
    node = next as Json;
  }
  return node;
}

const keysAt = (schema: unknown, path: string) => Object.keys(at(schema, path).properties as Json);

/** Every problem that makes a schema non-structural or inconsistent, with where it is. */
function structuralProblems(node: Json, where: string): string[] {
  const problems: string[] = [];
  const typed =
    typeof node.type === 'string' ||
    node['x-kubernetes-int-or-string'] === true ||
    node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) problems.push(`${where}: no type`);
  if ('$ref' in node) problems.push(`${where}: $ref`);
  if ('description' in node) problems.push(`${where}: description`);
  const props = (node.properties ?? {}) as Record<string, Json>;
  for (const r of (node.required ?? []) as string[]) if (!(r in props)) problems.push(`${where}: required ${r}?`);
  if (node.type === 'array') {
    if (!node.items) problems.push(`${where}: array without items`);
    const keys = (node['x-kubernetes-list-map-keys'] ?? []) as string[];
    const item = (node.items ?? {}) as Json;
    const itemProps = (item.properties ?? {}) as Record<string, Json>;
    const itemRequired = (item.required ?? []) as string[];
    // The API server refuses list-map keys that are neither required nor defaulted.
    for (const k of keys) {
      if (!itemRequired.includes(k) && itemProps[k]?.default === undefined) problems.push(`${where}: key ${k}`);
    }
  }
  for (const [name, child] of Object.entries(props)) problems.push(...structuralProblems(child, `${where}.${name}`));
  if (node.items) problems.push(...structuralProblems(node.items as Json, `${where}[]`));
  if (typeof node.additionalProperties === 'object') {
    problems.push(...structuralProblems(node.additionalProperties as Json, `${where}{}`));
  }
  return problems;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

/** Kubernetes' strict field validation: unknown fields are errors. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strict(s)])) : strict(v);
  }
  if (out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const accepts = (schema: unknown, value: unknown) => ajv.validate(strict(json(schema)) as Json, value);

describe('coreType', () => {
  it('has tables that only name existing client-node models and fields', () => {
    assert.deepEqual(coreTableProblems(), []);
  });

  for (const model of MODELS) {
    it(`${model} is structural: typed nodes, no $ref, consistent required and list-map keys`, () => {
      const schema = json(coreType(model));
      assert.equal(schema.type, 'object');
      assert.deepEqual(structuralProblems(schema, model), []);
    });
  }

  it('rejects a model name client-node does not have', () => {
    assert.throws(() => coreType('V1NoSuchThing'), /unknown Kubernetes model V1NoSuchThing/);
  });

  it('cuts recursive models instead of looping', () => {
    const props = at(coreType('V1JSONSchemaProps'), 'properties');
    assert.deepEqual(props.additionalProperties, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('returns fresh copies, with the options on the root only', () => {
    const a = coreType<V1Toleration>('V1Toleration', { description: 'x' }) as unknown as Json;
    const b = coreType<V1Toleration>('V1Toleration') as unknown as Json;
    assert.notEqual(a, b);
    assert.notEqual(a.properties, b.properties);
    assert.equal(a.description, 'x');
    assert.equal(b.description, undefined);
    // Repeated nested models are distinct objects too (a YAML writer would alias shared ones).
    const spec = (coreType<V1PodTemplateSpec>('V1PodTemplateSpec') as unknown as { properties: { spec: Json } })
      .properties.spec.properties as Record<string, Json>;
    assert.notEqual(spec.containers?.items, spec.initContainers?.items);
    assert.deepEqual(spec.containers?.items, spec.initContainers?.items);
  });

  it('types the schema with the given client-node type', () => {
    const schema = coreType<V1ResourceRequirements>('V1ResourceRequirements');
    const value: Static<typeof schema> = { limits: { memory: '1Gi' } };
    assert.equal(value.limits?.memory, '1Gi');
  });

  describe('quantities accept numbers and quantity strings', () => {
    const cases: [string, string, Json, Json][] = [
      ['V1ResourceRequirements', 'limits.{}', { limits: { cpu: 1, memory: '1Gi' } }, { limits: { cpu: 'lots' } }],
      ['V1ResourceRequirements', 'requests.{}', { requests: { cpu: '500m' } }, { requests: { cpu: true } }],
      ['V1VolumeResourceRequirements', 'requests.{}', { requests: { storage: 1 } }, { requests: { storage: '1 Gi' } }],
      ['V1EmptyDirVolumeSource', 'sizeLimit', { sizeLimit: '1Gi' }, { sizeLimit: '1GB' }],
      ['V1ResourceFieldSelector', 'divisor', { resource: 'limits.cpu', divisor: 1 }, { resource: 'x', divisor: 1.5 }],
      [
        'V1PodSpec',
        'overhead.{}',
        { containers: [], overhead: { cpu: '250m' } },
        { containers: [], overhead: { cpu: [] } },
      ],
    ];
    for (const [model, path, good, bad] of cases) {
      it(`${model}.${path}`, () => {
        const node = at(coreType(model), path);
        assert.equal(node['x-kubernetes-int-or-string'], true);
        assert.ok(typeof node.pattern === 'string');
        assert.equal(accepts(coreType(model), good), true, JSON.stringify(ajv.errors));
        assert.equal(accepts(coreType(model), bad), false);
      });
    }
  });

  it('renders int-or-string, integers with their format, dates and bytes', () => {
    const strategy = coreType('V1DeploymentStrategy');
    assert.deepEqual(at(strategy, 'rollingUpdate.maxSurge'), {
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
    assert.equal(
      accepts(strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' } }),
      true,
    );
    assert.deepEqual(at(coreType('V1Toleration'), 'tolerationSeconds'), { type: 'integer', format: 'int64' });
    assert.deepEqual(at(coreType('V1ContainerPort'), 'containerPort'), { type: 'integer', format: 'int32' });
    assert.deepEqual(at(coreType('V1Condition'), 'lastTransitionTime'), { type: 'string', format: 'date-time' });
    assert.deepEqual(at(coreType('V1Secret'), 'data.{}'), { type: 'string', format: 'byte' });
    assert.deepEqual(at(coreType('V1PodSecurityContext'), 'supplementalGroups.[]'), {
      type: 'integer',
      format: 'int64',
    });
  });

  describe('required fields match the upstream CRDs', () => {
    const cases: [string, string[] | undefined][] = [
      ['V1Container', ['name']],
      ['V1EnvVar', ['name']],
      ['V1Toleration', undefined],
      ['V1NodeSelectorTerm', undefined],
      ['V1NodeSelector', ['nodeSelectorTerms']],
      ['V1NodeSelectorRequirement', ['key', 'operator']],
      ['V1LabelSelectorRequirement', ['key', 'operator']],
      ['V1PodAffinityTerm', ['topologyKey']],
      ['V1WeightedPodAffinityTerm', ['podAffinityTerm', 'weight']],
      ['V1PreferredSchedulingTerm', ['preference', 'weight']],
      ['V1Volume', ['name']],
      ['V1VolumeMount', ['mountPath', 'name']],
      ['V1ContainerPort', ['containerPort']],
      ['V1KeyToPath', ['key', 'path']],
      ['V1SecretKeySelector', ['key']],
      ['V1HTTPGetAction', ['port']],
      ['V1ExecAction', undefined],
      ['V1TopologySpreadConstraint', ['maxSkew', 'topologyKey', 'whenUnsatisfiable']],
      ['V1ServicePort', ['port']],
      ['V1TypedLocalObjectReference', ['kind', 'name']],
      ['V1SeccompProfile', ['type']],
      ['V1PersistentVolumeClaimTemplate', ['spec']],
      ['V1ImageVolumeSource', undefined],
      ['V1LocalObjectReference', undefined],
    ];
    for (const [model, required] of cases) {
      it(model, () => assert.deepEqual(json(coreType(model)).required, required));
    }
    it('are enforced', () => {
      assert.equal(accepts(coreType('V1EnvVar'), { value: 'x' }), false);
      assert.equal(accepts(coreType('V1EnvVar'), { name: 'A', value: 'x' }), true);
      assert.equal(accepts(coreType('V1Toleration'), {}), true);
    });
  });

  describe('property sets match the upstream CRDs', () => {
    const cases: [string, string, string[]][] = [
      ['V1Affinity', '', ['nodeAffinity', 'podAffinity', 'podAntiAffinity']],
      [
        'V1Affinity',
        'nodeAffinity',
        ['preferredDuringSchedulingIgnoredDuringExecution', 'requiredDuringSchedulingIgnoredDuringExecution'],
      ],
      [
        'V1Affinity',
        'podAffinity.preferredDuringSchedulingIgnoredDuringExecution.[].podAffinityTerm',
        ['labelSelector', 'matchLabelKeys', 'mismatchLabelKeys', 'namespaceSelector', 'namespaces', 'topologyKey'],
      ],
      ['V1Toleration', '', ['effect', 'key', 'operator', 'tolerationSeconds', 'value']],
      ['V1ResourceRequirements', '', ['claims', 'limits', 'requests']],
      [
        'V1PersistentVolumeClaimSpec',
        '',
        [
          'accessModes',
          'dataSource',
          'dataSourceRef',
          'resources',
          'selector',
          'storageClassName',
          'volumeAttributesClassName',
          'volumeMode',
          'volumeName',
        ],
      ],
      ['V1DeploymentStrategy', '', ['rollingUpdate', 'type']],
      ['V1DeploymentStrategy', 'rollingUpdate', ['maxSurge', 'maxUnavailable']],
      ['V1EnvFromSource', '', ['configMapRef', 'prefix', 'secretRef']],
      [
        'V1TopologySpreadConstraint',
        '',
        [
          'labelSelector',
          'matchLabelKeys',
          'maxSkew',
          'minDomains',
          'nodeAffinityPolicy',
          'nodeTaintsPolicy',
          'topologyKey',
          'whenUnsatisfiable',
        ],
      ],
      ['V1ServicePort', '', ['appProtocol', 'name', 'nodePort', 'port', 'protocol', 'targetPort']],
      ['V1PodTemplateSpec', 'spec.containers.[].ports.[]', ['containerPort', 'hostIP', 'hostPort', 'name', 'protocol']],
      [
        'V1PodTemplateSpec',
        'spec.containers.[].env.[].valueFrom',
        ['configMapKeyRef', 'fieldRef', 'fileKeyRef', 'resourceFieldRef', 'secretKeyRef'],
      ],
      ['V1SeccompProfile', '', ['localhostProfile', 'type']],
    ];
    for (const [model, path, keys] of cases) {
      it(`${model} ${path || '(root)'}`, () => assert.deepEqual(keysAt(coreType(model), path), keys));
    }
  });

  it('marks list types, map types and defaults as the upstream CRDs do', () => {
    const pod = coreType('V1PodTemplateSpec');
    const container = 'spec.containers.[]';
    const listOf = (path: string) => {
      const n = at(pod, path);
      return [n['x-kubernetes-list-type'], n['x-kubernetes-list-map-keys']];
    };
    assert.deepEqual(listOf(`${container}.ports`), ['map', ['containerPort', 'protocol']]);
    assert.deepEqual(listOf(`${container}.env`), ['map', ['name']]);
    assert.deepEqual(listOf(`${container}.volumeMounts`), ['map', ['mountPath']]);
    assert.deepEqual(listOf(`${container}.envFrom`), ['atomic', undefined]);
    assert.deepEqual(listOf('spec.tolerations'), ['atomic', undefined]);
    assert.deepEqual(listOf('spec.topologySpreadConstraints'), ['map', ['topologyKey', 'whenUnsatisfiable']]);
    assert.deepEqual(listOf('spec.imagePullSecrets'), ['map', ['name']]);
    assert.deepEqual(listOf(`${container}.restartPolicyRules.[].exitCodes.values`), ['set', undefined]);
    assert.equal(at(pod, `${container}.ports.[].protocol`).default, 'TCP');
    assert.equal(at(pod, `${container}.env.[].valueFrom.secretKeyRef.name`).default, '');
    assert.equal(at(pod, `${container}.env.[].valueFrom.secretKeyRef`)['x-kubernetes-map-type'], 'atomic');
    assert.equal(at(pod, 'spec.nodeSelector')['x-kubernetes-map-type'], 'atomic');
    assert.equal(
      at(pod, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution')['x-kubernetes-map-type'],
      'atomic',
    );
    assert.equal(at(coreType('V1ServiceSpec'), 'ports.[].protocol').default, 'TCP');
    assert.equal(at(coreType('V1ServiceSpec'), 'selector')['x-kubernetes-map-type'], 'atomic');
    assert.equal(at(coreType('V1LabelSelector'), '')['x-kubernetes-map-type'], 'atomic');
    assert.equal(at(coreType('V1SecretVolumeSource'), '')['x-kubernetes-map-type'], undefined);
  });

  it('renders embedded ObjectMeta as a bare object, as upstream does', () => {
    assert.deepEqual(at(coreType('V1PodTemplateSpec'), 'metadata'), { type: 'object' });
    assert.deepEqual(at(coreType('V1EphemeralVolumeSource'), 'volumeClaimTemplate.metadata'), { type: 'object' });
  });

  it('rejects unknown fields and wrong types under strict validation', () => {
    assert.equal(accepts(coreType<V1Affinity>('V1Affinity'), { nodeAfinity: {} }), false);
    assert.equal(accepts(coreType('V1Toleration'), { tolerationSeconds: '10' }), false);
    assert.equal(accepts(coreType('V1PodSecurityContext'), { runAsUser: 1.5 }), false);
  });

  describe('accepts the core-typed fields of the upstream samples', () => {
    const docs = sampleDocuments();
    const cases: [string, string, string][] = [
      ['cluster-example-security-context.yaml', 'spec.podSecurityContext', 'V1PodSecurityContext'],
      ['cluster-example-security-context.yaml', 'spec.securityContext', 'V1SecurityContext'],
      ['cluster-example-full.yaml', 'spec.resources', 'V1ResourceRequirements'],
      ['cluster-pvc-template.yaml', 'spec.storage.pvcTemplate', 'V1PersistentVolumeClaimSpec'],
      ['pooler-deployment-strategy.yaml', 'spec.deploymentStrategy', 'V1DeploymentStrategy'],
      ['pooler-external.yaml', 'spec.serviceTemplate.spec', 'V1ServiceSpec'],
      ['cluster-example-projected-volume.yaml', 'spec.projectedVolumeTemplate', 'V1ProjectedVolumeSource'],
      ['postgis-example.yaml', 'spec.postgresql.extensions.0.image', 'V1ImageVolumeSource'],
    ];
    for (const [file, path, model] of cases) {
      it(`${file} ${path}`, () => {
        const doc = docs.find((d) => d.file === file && d.doc.apiVersion === 'postgresql.cnpg.io/v1');
        assert.ok(doc, file);
        const value = path.split('.').reduce<unknown>((v, k) => (v as Json | undefined)?.[k], doc.doc);
        assert.ok(value !== undefined, `${file}: ${path}`);
        assert.equal(accepts(coreType(model), value), true, JSON.stringify(ajv.errors));
      });
    }
  });
});
