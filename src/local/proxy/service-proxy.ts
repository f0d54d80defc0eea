// The service proxy: kube-proxy and the endpoints controller of the local runtime. Every Service
// with a cluster IP (a loopback address the API server allocates) gets a listener per TCP port on
// that address, forwarding to the pods that serve it; its Endpoints object is kept current. Pod
// and Service events are applied as they arrive, so a change of readiness or labels moves the
// traffic (and closes connections to a pod that left) within milliseconds.
import { CoreV1Api, type KubeConfig, type V1Endpoints, type V1Pod, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { WorkQueue } from '../../kube/work-queue.ts';
import { apiErrorMessage, isAlreadyExists, isNotFound } from '../../kube/patch.ts';
import { objectKey, stableJson, startInformer, type WatchedCache } from '../node/kube.ts';
import { backendsFor, endpointSubsets } from './endpoints.ts';
import { TcpForwarder } from './tcp-forwarder.ts';

interface ServiceState {
  /** What the listeners were built for: rebuilt when the address or the ports change. */
  shape: string;
  forwarders: TcpForwarder[];
}

/** The Services that get an address and listeners (headless ones and ExternalName do not). */
function proxied(svc: V1Service): boolean {
  const ip = svc.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None' && svc.spec?.type !== 'ExternalName';
}

export class ServiceProxy {
  readonly #kc: KubeConfig;
  readonly #core: CoreV1Api;
  readonly #log: Logger;
  readonly #states = new Map<string, ServiceState>();
  readonly #endpointsQueue: WorkQueue;
  /** Serializes listener changes: a Service's sockets are closed before they are bound again. */
  #chain: Promise<void> = Promise.resolve();
  #services: WatchedCache<V1Service> | undefined;
  #pods: WatchedCache<V1Pod> | undefined;

  constructor(kc: KubeConfig, log: Logger) {
    this.#kc = kc;
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#log = log;
    this.#endpointsQueue = new WorkQueue({
      name: 'endpoints',
      handler: (key) => this.#writeEndpoints(key),
      logger: log,
    });
  }

  async start(): Promise<void> {
    this.#pods = await startInformer<V1Pod>(
      this.#kc,
      '/api/v1/pods',
      () => this.#core.listPodForAllNamespaces(),
      this.#log,
      (inf) => inf.on('change', (p) => this.#podChanged(p)),
    );
    this.#services = await startInformer<V1Service>(
      this.#kc,
      '/api/v1/services',
      () => this.#core.listServiceForAllNamespaces(),
      this.#log,
      (inf) => {
        inf.on('add', (s) => this.#serviceChanged(s));
        inf.on('update', (s) => this.#serviceChanged(s));
        inf.on('delete', (s) => this.#serviceGone(s));
      },
    );
    for (const s of this.#services.list()) this.#serviceChanged(s);
    await this.#chain;
  }

  async stop(): Promise<void> {
    await this.#services?.stop();
    await this.#pods?.stop();
    await this.#endpointsQueue.shutDown();
    await this.#chain;
    await Promise.all([...this.#states.values()].flatMap((s) => s.forwarders.map((f) => f.close())));
    this.#states.clear();
  }

  /** The listeners of a Service (for status output and tests). */
  forwarders(namespace: string, name: string): readonly TcpForwarder[] {
    return this.#states.get(`${namespace}/${name}`)?.forwarders ?? [];
  }

  /** Resolves once the listener changes queued so far are done. */
  settled(): Promise<void> {
    return this.#chain;
  }

  #podChanged(pod: V1Pod): void {
    // A pod's labels may have changed: every Service of its namespace is looked at again.
    for (const svc of this.#services?.list(pod.metadata?.namespace) ?? []) {
      this.#applyBackends(svc);
      if (svc.spec?.selector !== undefined) this.#endpointsQueue.add(objectKey(svc));
    }
  }

  #serviceChanged(svc: V1Service): void {
    const key = objectKey(svc);
    const shape = proxied(svc)
      ? JSON.stringify([
          svc.spec?.clusterIP,
          (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.port),
        ])
      : '';
    const current = this.#states.get(key);
    if (current?.shape !== shape) this.#rebind(svc, key, shape);
    else this.#applyBackends(svc);
    if (svc.spec?.selector !== undefined) this.#endpointsQueue.add(key);
  }

  #serviceGone(svc: V1Service): void {
    const key = objectKey(svc);
    this.#rebind(svc, key, '');
    if (svc.spec?.selector === undefined) return;
    void this.#core
      .deleteNamespacedEndpoints({ name: svc.metadata?.name ?? '', namespace: svc.metadata?.namespace ?? 'default' })
      .catch((err: unknown) => {
        if (!isNotFound(err)) this.#log.warn({ service: key, err: apiErrorMessage(err) }, 'cannot delete endpoints');
      });
  }

  /** Closes the Service's listeners and, unless `shape` is empty, opens the new ones. */
  #rebind(svc: V1Service, key: string, shape: string): void {
    const old = this.#states.get(key);
    const state: ServiceState = { shape, forwarders: [] };
    if (shape === '') this.#states.delete(key);
    else this.#states.set(key, state);
    this.#chain = this.#chain.then(async () => {
      await Promise.all((old?.forwarders ?? []).map((f) => f.close()));
      if (shape === '') return;
      const ip = svc.spec?.clusterIP ?? '';
      for (const p of svc.spec?.ports ?? []) {
        if ((p.protocol ?? 'TCP') !== 'TCP') continue;
        const f = new TcpForwarder(ip, p.port);
        try {
          await f.listen();
        } catch (err) {
          this.#log.error(
            { service: key, address: `${ip}:${p.port}`, err: apiErrorMessage(err) },
            'cannot listen for service',
          );
          continue;
        }
        state.forwarders.push(f);
      }
      const latest = this.#services?.get(svc.metadata?.name ?? '', svc.metadata?.namespace) ?? svc;
      this.#applyBackends(latest);
      this.#log.info({ service: key, clusterIP: ip, ports: state.forwarders.map((f) => f.port) }, 'service listening');
    });
  }

  #applyBackends(svc: V1Service): void {
    const state = this.#states.get(objectKey(svc));
    if (state === undefined) return;
    const pods = this.#pods?.list(svc.metadata?.namespace) ?? [];
    for (const f of state.forwarders) {
      const next = backendsFor(svc, f.port, pods);
      const before = f.backends.map((b) => b.pod).join(',');
      f.setBackends(next);
      const after = next.map((b) => b.pod).join(',');
      if (before !== after)
        this.#log.info({ service: objectKey(svc), port: f.port, pods: after }, 'service backends changed');
    }
  }

  async #writeEndpoints(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const svc = this.#services?.get(name, namespace);
    if (svc === undefined || svc.spec?.selector === undefined) return;
    const subsets = endpointSubsets(svc, this.#pods?.list(namespace) ?? []);
    const body: V1Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace, ...(svc.metadata?.labels === undefined ? {} : { labels: svc.metadata.labels }) },
      subsets,
    };
    let existing: V1Endpoints | undefined;
    try {
      existing = await this.#core.readNamespacedEndpoints({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing === undefined) {
      try {
        await this.#core.createNamespacedEndpoints({ namespace, body });
      } catch (err) {
        // Created meanwhile: write it again on top.
        if (!isAlreadyExists(err)) throw err;
        this.#endpointsQueue.add(key);
      }
      return;
    }
    if (stableJson(existing.subsets ?? []) === stableJson(subsets)) return;
    body.metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
    await this.#core.replaceNamespacedEndpoints({ name, namespace, body });
  }
}
