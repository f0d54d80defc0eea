// Discovery documents (`/version`, `/api`, `/apis`, resource lists per group version) and the
// slice of OpenAPI v3 kubectl reads to learn that the server validates fields itself
// (`fieldValidation` on each kind's PATCH), so that it sends `fieldValidation=Strict`.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceType } from './resources.ts';
import type { Json } from './storage.ts';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+cnpg-local',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'n/a',
  compiler: 'n/a',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function groupVersions(types: ResourceType[]): Map<string, { group: string; version: string }> {
  const out = new Map<string, { group: string; version: string }>();
  for (const t of types) if (t.group !== '') out.set(apiVersionOf(t), { group: t.group, version: t.version });
  return out;
}

export function apiVersions(serverAddress: string): Json {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]): Json {
  const gvs = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(types: ResourceType[]): Json {
  const byGroup = new Map<string, string[]>();
  for (const { group, version } of groupVersions(types).values())
    byGroup.set(group, [...(byGroup.get(group) ?? []), version]);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([g, v]) => apiGroup(g, v)),
  };
}

export function apiGroupDocument(types: ResourceType[], group: string): Json | undefined {
  const versions = [...groupVersions(types).values()].filter((gv) => gv.group === group).map((gv) => gv.version);
  if (versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

export function apiResourceList(types: ResourceType[], group: string, version: string): Json | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const resources: Json[] = [];
  for (const t of mine) {
    const main: Json = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
    };
    if (t.shortNames.length > 0) main.shortNames = t.shortNames;
    if (t.categories.length > 0) main.categories = t.categories;
    resources.push(main);
    const sub = (name: string, kind: string, verbs: string[], extra: Json = {}) =>
      resources.push({
        name: `${t.plural}/${name}`,
        singularName: '',
        namespaced: t.namespaced,
        kind,
        verbs,
        ...extra,
      });
    if (t.status) sub('status', t.kind, ['get', 'patch', 'update']);
    if (t.scale !== undefined)
      sub('scale', 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' });
    for (const extra of t.extraSubresources) {
      if (extra === 'log') sub('log', 'Pod', ['get']);
      else if (extra === 'token')
        sub('token', 'TokenRequest', ['create'], { group: 'authentication.k8s.io', version: 'v1' });
      else if (extra === 'binding') sub('binding', 'Binding', ['create']);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

/** The URL path of a group version's OpenAPI document: `api/v1`, `apis/apps/v1`. */
const openApiPath = (gv: { group: string; version: string }) =>
  gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;

export function openApiV3Document(types: ResourceType[], group: string, version: string): Json | undefined {
  const mine = types.filter((t) => t.group === group && t.version === version);
  if (mine.length === 0) return undefined;
  const paths: Json = {};
  const prefix = `/${openApiPath({ group, version })}`;
  for (const t of mine) {
    const item = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}/{name}` : `${prefix}/${t.plural}/{name}`;
    paths[item] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: t.kind },
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string' } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

export function openApiV3Root(types: ResourceType[]): Json {
  const paths: Json = {};
  const gvs = new Map<string, { group: string; version: string }>();
  for (const t of types) gvs.set(apiVersionOf(t), { group: t.group, version: t.version });
  for (const gv of gvs.values()) {
    const doc = JSON.stringify(openApiV3Document(types, gv.group, gv.version));
    const hash = createHash('sha512').update(doc).digest('hex').slice(0, 32).toUpperCase();
    const path = openApiPath(gv);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
}
