// Generates the CustomResourceDefinitions from the kinds' schemas: the manifests we ship under
// config/crd/ and install in the API server.
import { stringify } from 'yaml';
import { GROUP, type KindDefinition, VERSION } from './kind-definition.ts';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** The schema as plain JSON: typebox's symbols and our CEL predicates dropped. */
function plainSchema(def: KindDefinition): Record<string, unknown> {
  return JSON.parse(JSON.stringify(def.schema)) as Record<string, unknown>;
}

export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const columns = [
    ...def.printerColumns.filter((c) => c.name === 'Age'),
    ...def.printerColumns.filter((c) => c.name !== 'Age'),
  ];
  const subresources: Record<string, unknown> = {};
  if (def.subresources.scale) subresources.scale = { ...def.subresources.scale };
  if (def.subresources.status) subresources.status = {};
  const version: Record<string, unknown> = {
    name: VERSION,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: plainSchema(def) },
  };
  if (columns.length > 0) version.additionalPrinterColumns = columns;
  if (Object.keys(subresources).length > 0) version.subresources = subresources;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
    spec: {
      group: GROUP,
      names: { kind: def.kind, listKind: `${def.kind}List`, plural: def.plural, singular: def.singular },
      scope: def.scope,
      versions: [version],
    },
  };
}

export function crdFileName(def: KindDefinition): string {
  return `${GROUP}_${def.plural}.yaml`;
}

export function crdYaml(def: KindDefinition): string {
  return `---\n${stringify(buildCrd(def), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
