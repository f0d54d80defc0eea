// `cnpg status CLUSTER` (also `kubectl cnpg status`): upstream's status view — the cluster summary
// from the Cluster object, then what each instance reports on its `/pg/status`. Upstream reads the
// instances through the API server's pod proxy; the local API server has no pod proxy, so this
// calls each pod's address (`status.podIP:8000`) directly, which works wherever pods are reachable.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Command } from 'commander';
import type { Cluster } from '../api/v1/cluster-types.ts';
import { API_VERSION } from '../api/v1/kind-definition.ts';
import { KINDS } from '../api/v1/kinds.ts';
import { apiErrorMessage, isNotFound, KubeObjectApi } from '../kube/patch.ts';
import { clusterServerCA } from '../operator/cluster/certificates.ts';
import { InstanceClient, type InstanceStatusReport } from '../operator/cluster/instance-client.ts';
import { LABELS } from '../operator/specs/labels.ts';
import { notReconciledReason } from '../local/apply.ts';
import { type KubeTargetFlags, kubeTarget, runVerb, withKubeTargetOptions } from './kube-target.ts';
import { serviceReadName, serviceReadOnlyName, serviceReadWriteName } from '../operator/specs/names.ts';

interface StatusFlags extends KubeTargetFlags {
  timeout: string;
}

interface InstanceView {
  pod: V1Pod;
  name: string;
  report?: InstanceStatusReport;
  error?: string;
}

/** A left-aligned table with a dashed header rule, as upstream's plugin prints them. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(header.map((h) => '-'.repeat(h.length))), ...rows.map(line)];
}

function summary(cluster: Cluster, namespace: string, primary: InstanceView | undefined): string[] {
  const s = cluster.status ?? {};
  const fields: [string, string][] = [
    ['Name', `${namespace}/${cluster.metadata?.name ?? ''}`],
    ['System ID:', s.systemID ?? primary?.report?.systemID ?? ''],
    ['PostgreSQL Image:', s.image ?? cluster.spec.imageName ?? ''],
    // What runs, from the server (the image tag may say another major: docs/local-runtime.md).
    ['PostgreSQL Version:', primary?.report?.postgresVersion ?? String(s.pgDataImageInfo?.majorVersion ?? '')],
    ['Primary instance:', s.currentPrimary ?? ''],
    ['Status:', `${s.phase ?? ''}${s.phaseReason ? ` (${s.phaseReason})` : ''}`],
    ['Instances:', String(cluster.spec.instances)],
    ['Ready instances:', String(s.readyInstances ?? 0)],
    ['Current Timeline:', String(s.timelineID ?? primary?.report?.timeLineID ?? '')],
  ];
  const report = primary?.report;
  if (report?.currentLsn) {
    fields.push(['Current Write LSN:', `${report.currentLsn} (WAL File: ${report.currentWAL ?? ''})`]);
  }
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return ['Cluster Summary', ...fields.map(([k, v]) => `${k.padEnd(width)}${v}`.trimEnd())];
}

function replication(primary: InstanceView | undefined): string[] {
  const peers = primary?.report?.replicationInfo ?? [];
  if (peers.length === 0) return ['Streaming Replication status', 'Not configured'];
  const slots = new Map((primary?.report?.replicationSlotsInfo ?? []).map((s) => [s.slotName, s.active]));
  const rows = peers.map((p) => [
    p.applicationName ?? '',
    p.receivedLsn ?? '',
    p.writeLsn ?? '',
    p.flushLsn ?? '',
    p.replayLsn ?? '',
    p.writeLag ?? '',
    p.flushLag ?? '',
    p.replayLag ?? '',
    p.replayLagBytes === undefined ? '' : String(p.replayLagBytes),
    p.state ?? '',
    p.syncState ?? '',
    p.syncPriority ?? '',
    slotState(slots, p.applicationName ?? ''),
  ]);
  const header = [
    'Name',
    'Sent LSN',
    'Write LSN',
    'Flush LSN',
    'Replay LSN',
    'Write Lag',
    'Flush Lag',
    'Replay Lag',
    'Lag (bytes)',
    'State',
    'Sync State',
    'Sync Priority',
    'Replication Slot',
  ];
  return [
    'Streaming Replication status',
    ...(slots.size > 0 ? ['Replication Slots Enabled'] : []),
    ...table(header, rows),
  ];
}

function slotState(slots: Map<string, boolean>, application: string): string {
  const slot = [...slots.keys()].find((name) => name.endsWith(application.toLowerCase().replace(/[^a-z0-9_]/g, '_')));
  if (slot === undefined) return '';
  return slots.get(slot) ? 'active' : 'inactive';
}

function roleOf(view: InstanceView, primary: InstanceView | undefined): string {
  if (view.report === undefined) return '';
  if (view.report.isPrimary) return 'Primary';
  const peer = primary?.report?.replicationInfo?.find((p) => p.applicationName === view.name);
  const sync = peer?.syncState;
  return sync === undefined || sync === 'async' ? 'Standby (async)' : `Standby (${sync})`;
}

function instances(views: InstanceView[], primary: InstanceView | undefined): string[] {
  const rows = views.map((v) => [
    v.name,
    (v.report?.isPrimary ? v.report.currentLsn : v.report?.replayLsn) ?? '',
    roleOf(v, primary),
    v.report !== undefined ? 'OK' : (v.error ?? 'unknown'),
    v.report?.timeLineID === undefined ? '' : String(v.report.timeLineID),
    v.pod.status?.qosClass ?? '',
    v.report?.instanceManagerVersion ?? '',
    v.pod.spec?.nodeName ?? '',
  ]);
  const header = ['Name', 'Current LSN', 'Replication role', 'Status', 'Timeline', 'QoS', 'Manager Version', 'Node'];
  return ['Instances status', ...table(header, rows)];
}

async function services(core: CoreV1Api, namespace: string, cluster: string): Promise<string[]> {
  const rows: string[][] = [];
  for (const [role, name] of [
    ['Read-write', serviceReadWriteName(cluster)],
    ['Read-only', serviceReadOnlyName(cluster)],
    ['Read', serviceReadName(cluster)],
  ] as const) {
    try {
      const svc = await core.readNamespacedService({ name, namespace });
      rows.push([role, name, `${svc.spec?.clusterIP ?? ''}:${svc.spec?.ports?.[0]?.port ?? ''}`]);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return ['Services', ...table(['Role', 'Name', 'Address'], rows)];
}

/**
 * The objects of kinds no controller acts on yet (Pooler, Backup, Database...) that name this
 * cluster in `spec.cluster.name`: stored, but nothing happens to them. No lines when there are none.
 */
async function notReconciled(objects: KubeObjectApi, namespace: string, cluster: string): Promise<string[]> {
  const rows: string[][] = [];
  for (const def of KINDS) {
    const why = notReconciledReason({ apiVersion: API_VERSION, kind: def.kind });
    if (why === undefined || def.scope !== 'Namespaced') continue;
    let items: { metadata?: { name?: string }; spec?: { cluster?: { name?: string } } }[];
    try {
      items = (await objects.list(API_VERSION, def.kind, namespace)).items;
    } catch (err) {
      if (isNotFound(err)) continue; // the kind is not served here
      rows.push([def.kind, '', `cannot list ${def.plural}: ${apiErrorMessage(err)}`]);
      continue;
    }
    for (const o of items) {
      if (o.spec?.cluster?.name !== cluster) continue;
      rows.push([def.kind, o.metadata?.name ?? '', why]);
    }
  }
  if (rows.length === 0) return [];
  return ['', 'Not reconciled', ...table(['Kind', 'Name', 'Reason'], rows)];
}

/** The whole view, as lines. */
export async function clusterStatusLines(
  kc: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<string[]> {
  const objects = KubeObjectApi.forConfig(kc);
  const core = kc.makeApiClient(CoreV1Api);
  let cluster: Cluster;
  try {
    cluster = (await objects.read({
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name, namespace },
    })) as unknown as Cluster;
  } catch (err) {
    if (isNotFound(err)) throw new Error(`cluster "${name}" not found in namespace "${namespace}"`);
    throw new Error(`reading cluster ${namespace}/${name}: ${apiErrorMessage(err)}`);
  }
  const pods = await core.listNamespacedPod({
    namespace,
    labelSelector: `${LABELS.cluster}=${name},${LABELS.podRole}=instance`,
  });
  // Instances serve HTTPS with certificates of the cluster's CA: trust that CA, and only it.
  const serverCA = await clusterServerCA(core, cluster).catch((err: unknown) => {
    throw new Error(`reading the CA of cluster ${namespace}/${name}: ${apiErrorMessage(err)}`);
  });
  if (serverCA === undefined) throw new Error(`the CA secret of cluster ${namespace}/${name} has no ca.crt`);
  const client = new InstanceClient({ statusTimeoutMs: timeoutMs }).withServerCA(serverCA);
  const views = await Promise.all(
    pods.items
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '', 'en', { numeric: true }))
      .map(async (pod): Promise<InstanceView> => {
        const view: InstanceView = { pod, name: pod.metadata?.name ?? '' };
        const ip = pod.status?.podIP;
        if (ip === undefined || pod.status?.phase !== 'Running') return { ...view, error: 'pod not running' };
        try {
          return { ...view, report: await client.status(ip) };
        } catch (err) {
          return { ...view, error: err instanceof Error ? err.message : String(err) };
        }
      }),
  );
  const primary = views.find((v) => v.report?.isPrimary);
  return [
    ...summary(cluster, namespace, primary),
    '',
    ...(await services(core, namespace, name)),
    '',
    ...replication(primary),
    '',
    ...instances(views, primary),
    ...(await notReconciled(objects, namespace, name)),
  ];
}

export function registerStatusCommand(program: Command): void {
  withKubeTargetOptions(
    program
      .command('status')
      .description("show a cluster's status: summary, services, streaming replication, instances")
      .argument('<cluster>', 'the Cluster name'),
  )
    .option('--timeout <seconds>', 'how long to wait for each instance to answer', '5')
    .action((name: string, flags: StatusFlags) =>
      runVerb(async () => {
        const timeout = Number(flags.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0) {
          throw new Error(`invalid --timeout "${flags.timeout}": expected a number of seconds > 0`);
        }
        const { kc, namespace } = kubeTarget(flags);
        process.stdout.write(`${(await clusterStatusLines(kc, namespace, name, timeout * 1000)).join('\n')}\n`);
      }),
    );
}
