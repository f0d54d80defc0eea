// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which `kubectl get`
// asks for: the columns upstream prints for each built-in kind, and a CRD's additionalPrinterColumns.
import type { PrinterColumn } from '../../api/v1/kind-definition.ts';
import type { ResourceType } from './resources.ts';
import type { Json, KubeObject } from './storage.ts';

interface Column {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  cell: (o: KubeObject) => unknown;
}

const get = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const p of path) cur = typeof cur === 'object' && cur !== null ? (cur as Json)[p] : undefined;
  return cur;
};
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown, dflt = '<none>') => (v === undefined || v === null || v === '' ? dflt : String(v));

/** apimachinery's HumanDuration, the way `kubectl get` shows ages. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  const days = Math.floor(hours / 24) % 365;
  if (hours < 24 * 365 * 8) return days === 0 ? `${years}y` : `${years}y${days}d`;
  return `${years}y`;
}

const since = (t: unknown) => (typeof t === 'string' ? humanDuration(Date.now() - Date.parse(t)) : '<unknown>');
const age: Column = { name: 'Age', type: 'string', cell: (o) => since(o.metadata.creationTimestamp) };
const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const createdAt: Column = { name: 'Created At', type: 'date', cell: (o) => o.metadata.creationTimestamp };
const dataCount: Column = {
  name: 'Data',
  type: 'integer',
  cell: (o) =>
    Object.keys((o.data as Json | undefined) ?? {}).length +
    Object.keys((o.binaryData as Json | undefined) ?? {}).length,
};

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp !== undefined) return 'Terminating';
  const statuses = arr(get(o, 'status', 'containerStatuses'));
  for (const s of statuses) {
    const reason = get(s, 'state', 'waiting', 'reason') ?? get(s, 'state', 'terminated', 'reason');
    if (typeof reason === 'string' && get(s, 'ready') !== true) return reason;
  }
  return str(get(o, 'status', 'reason') ?? get(o, 'status', 'phase'), 'Pending');
}

function servicePorts(o: KubeObject): string {
  const ports = arr(get(o, 'spec', 'ports')).map((p) => {
    const node = p.nodePort === undefined ? '' : `:${p.nodePort}`;
    return `${p.port}${node}/${str(p.protocol, 'TCP')}`;
  });
  return ports.length === 0 ? '<none>' : ports.join(',');
}

function selectorText(sel: unknown): string {
  if (typeof sel !== 'object' || sel === null) return '<none>';
  const entries = Object.entries(sel as Record<string, string>);
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function endpointsText(o: KubeObject): string {
  const out: string[] = [];
  for (const s of arr(o.subsets)) {
    const ports = arr(s.ports);
    for (const a of arr(s.addresses)) {
      if (ports.length === 0) out.push(String(a.ip));
      for (const p of ports) out.push(`${a.ip}:${p.port}`);
    }
  }
  if (out.length === 0) return '<none>';
  return out.length > 3 ? `${out.slice(0, 3).join(',')} + ${out.length - 3} more...` : out.join(',');
}

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  Namespace: [name, { name: 'Status', type: 'string', cell: (o) => str(get(o, 'status', 'phase'), 'Active') }, age],
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const total = arr(get(o, 'spec', 'containers')).length;
        const ready = arr(get(o, 'status', 'containerStatuses')).filter((s) => s.ready === true).length;
        return `${ready}/${total}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) =>
        String(arr(get(o, 'status', 'containerStatuses')).reduce((n, s) => n + Number(s.restartCount ?? 0), 0)),
    },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => str(get(o, 'status', 'podIP')) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => str(get(o, 'spec', 'nodeName')) },
  ],
  PersistentVolumeClaim: [
    name,
    { name: 'Status', type: 'string', cell: (o) => str(get(o, 'status', 'phase'), 'Pending') },
    { name: 'Volume', type: 'string', cell: (o) => str(get(o, 'spec', 'volumeName'), '') },
    { name: 'Capacity', type: 'string', cell: (o) => str(get(o, 'status', 'capacity', 'storage'), '') },
    {
      name: 'Access Modes',
      type: 'string',
      cell: (o) => (get(o, 'status', 'accessModes') as string[] | undefined)?.join(',') ?? '',
    },
    { name: 'StorageClass', type: 'string', cell: (o) => str(get(o, 'spec', 'storageClassName')) },
    age,
  ],
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => str(get(o, 'spec', 'type'), 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => str(get(o, 'spec', 'clusterIP')) },
    {
      name: 'External-IP',
      type: 'string',
      cell: (o) => str((get(o, 'spec', 'externalIPs') as string[] | undefined)?.join(',')),
    },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    age,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(get(o, 'spec', 'selector')) },
  ],
  Endpoints: [name, { name: 'Endpoints', type: 'string', cell: endpointsText }, age],
  Secret: [name, { name: 'Type', type: 'string', cell: (o) => str(o.type, 'Opaque') }, dataCount, age],
  ConfigMap: [name, dataCount, age],
  Event: [
    {
      name: 'Last Seen',
      type: 'string',
      cell: (o) => since(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp),
    },
    { name: 'Type', type: 'string', cell: (o) => str(o.type, '') },
    { name: 'Reason', type: 'string', cell: (o) => str(o.reason, '') },
    {
      name: 'Object',
      type: 'string',
      cell: (o) =>
        `${String(get(o, 'involvedObject', 'kind') ?? '').toLowerCase()}/${str(get(o, 'involvedObject', 'name'), '')}`,
    },
    { name: 'Message', type: 'string', cell: (o) => str(o.message, '') },
  ],
  ServiceAccount: [name, { name: 'Secrets', type: 'integer', cell: (o) => arr(o.secrets).length }, age],
  Deployment: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${Number(get(o, 'status', 'readyReplicas') ?? 0)}/${Number(get(o, 'spec', 'replicas') ?? 1)}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => Number(get(o, 'status', 'updatedReplicas') ?? 0) },
    { name: 'Available', type: 'integer', cell: (o) => Number(get(o, 'status', 'availableReplicas') ?? 0) },
    age,
  ],
  Job: [
    name,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const conds = arr(get(o, 'status', 'conditions'));
        if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return 'Complete';
        if (conds.some((c) => c.type === 'Failed' && c.status === 'True')) return 'Failed';
        return 'Running';
      },
    },
    {
      name: 'Completions',
      type: 'string',
      cell: (o) => `${Number(get(o, 'status', 'succeeded') ?? 0)}/${Number(get(o, 'spec', 'completions') ?? 1)}`,
    },
    age,
  ],
  Lease: [name, { name: 'Holder', type: 'string', cell: (o) => str(get(o, 'spec', 'holderIdentity'), '') }, age],
  PodDisruptionBudget: [
    name,
    { name: 'Min Available', type: 'string', cell: (o) => str(get(o, 'spec', 'minAvailable'), 'N/A') },
    { name: 'Max Unavailable', type: 'string', cell: (o) => str(get(o, 'spec', 'maxUnavailable'), 'N/A') },
    { name: 'Allowed Disruptions', type: 'integer', cell: (o) => Number(get(o, 'status', 'disruptionsAllowed') ?? 0) },
    age,
  ],
  Role: [name, createdAt],
  ClusterRole: [name, createdAt],
  RoleBinding: [
    name,
    { name: 'Role', type: 'string', cell: (o) => `${get(o, 'roleRef', 'kind')}/${get(o, 'roleRef', 'name')}` },
    age,
  ],
  ClusterRoleBinding: [
    name,
    { name: 'Role', type: 'string', cell: (o) => `${get(o, 'roleRef', 'kind')}/${get(o, 'roleRef', 'name')}` },
    age,
  ],
  CustomResourceDefinition: [name, createdAt],
};

/** The results of a kubectl-style JSONPath (`.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.k=='v')].b`). */
export function jsonPath(obj: unknown, path: string): unknown[] {
  const expr = path.replace(/^\{/, '').replace(/\}$/, '');
  const tokens = expr.match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let current: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of current) {
      if (t.startsWith('.')) {
        const x = get(v, t.slice(1));
        if (x !== undefined) next.push(x);
      } else if (t === '[*]') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object' && v !== null) next.push(...Object.values(v));
      } else {
        const filter = /^\[\?\(@\.([\w.]+)\s*==\s*['"]([^'"]*)['"]\)\]$/.exec(t);
        if (filter && Array.isArray(v)) {
          next.push(...v.filter((item) => String(get(item, ...(filter[1] ?? '').split('.'))) === filter[2]));
        } else if (Array.isArray(v)) {
          const i = Number(t.slice(1, -1));
          const x = v[i < 0 ? v.length + i : i];
          if (x !== undefined) next.push(x);
        }
      }
    }
    current = next;
  }
  return current;
}

function customColumns(cols: PrinterColumn[]): Column[] {
  const hasAge = cols.some((c) => c.name === 'Age');
  const out: Column[] = [name];
  for (const c of cols) {
    out.push({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      description: c.description,
      priority: c.priority,
      cell: (o) => {
        const values = jsonPath(o, c.jsonPath);
        if (values.length === 0) return null;
        if (c.type === 'date') return since(values[0]);
        if (values.length === 1) {
          const v = values[0];
          return typeof v === 'object' ? JSON.stringify(v) : v;
        }
        return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
      },
    });
  }
  if (!hasAge) out.push(age);
  return out;
}

function columnsOf(rt: ResourceType): Column[] {
  if (rt.custom !== undefined) return customColumns(rt.custom.printerColumns);
  return BUILTIN_COLUMNS[rt.kind] ?? [name, age];
}

export interface TableOptions {
  includeObject: 'None' | 'Metadata' | 'Object';
  resourceVersion?: string;
}

export function toTable(rt: ResourceType, objects: KubeObject[], opts: TableOptions): Json {
  const columns = columnsOf(rt);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => {
      const row: Json = { cells: columns.map((c) => c.cell(o)) };
      if (opts.includeObject === 'Object') row.object = o;
      else if (opts.includeObject === 'Metadata') {
        row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      }
      return row;
    }),
  };
}
