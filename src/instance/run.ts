// Wiring of `cnpg instance run`: the manager, its HTTP servers (status, metrics), the signals a pod
// receives (SIGTERM from the kubelet, SIGHUP to re-read the Cluster) and the watch on a Cluster from
// the API server.
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { InstanceContext } from './context.ts';
import { errorMessage, InstanceError } from './errors.ts';
import { createStatusServer } from './http-server.ts';
import { InstanceManager } from './instance-manager.ts';
import { InstanceCertificates } from './tls.ts';
import { CredentialFollower } from './credentials.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { MetricsExporter } from './metrics/exporter.ts';
import { createMetricsServer } from './metrics/server.ts';

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new InstanceError(`cannot listen on ${address}:${port}: ${err.code ?? err.message}`)),
    );
    server.listen(port, address === '*' ? undefined : address, () => resolve());
  });
}

/** Runs until SIGTERM/SIGINT has stopped PostgreSQL; resolves with the exit status. */
export async function runInstance(ctx: InstanceContext): Promise<number> {
  const manager = new InstanceManager(ctx);
  manager.prepare();
  const certificates = await InstanceCertificates.install(ctx);
  if (ctx.options.metricsTls && certificates === undefined) {
    throw new InstanceError('--metrics-port-tls needs the server certificate, and this instance has none');
  }
  const serverTls = certificates?.statusServerTls();
  const server = createStatusServer(manager, serverTls);
  await listen(server, ctx.options.statusPort, ctx.options.listenAddress);
  ctx.log.info(
    { address: ctx.options.listenAddress, port: ctx.options.statusPort, tls: certificates !== undefined },
    'status server listening',
  );
  const exporter = new MetricsExporter({
    ctx,
    phase: () => manager.currentPhase,
    api: ctx.source.kubeConfig?.makeApiClient(CoreV1Api),
  });
  const metricsTls = ctx.options.metricsTls ? serverTls : undefined;
  const metricsServer = createMetricsServer(exporter, ctx.log, metricsTls);
  await listen(metricsServer, ctx.options.metricsPort, ctx.options.listenAddress);
  ctx.log.info(
    { address: ctx.options.listenAddress, port: ctx.options.metricsPort, tls: metricsTls !== undefined },
    'metrics server listening',
  );
  const stopCertificates = certificates?.follow(
    server as HttpsServer,
    ...(metricsTls === undefined ? [] : [metricsServer as HttpsServer]),
  );
  const stopCredentials = new CredentialFollower(ctx).follow();

  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const stopWatch = ctx.source.watch((cluster) => {
    manager.reload(cluster).then(
      // Most versions are the operator's status writes: only say something when one mattered.
      (r) => (r.changed || r.pendingRestart ? ctx.log.info : ctx.log.debug).call(ctx.log, r, 'Cluster changed'),
      (err: unknown) => ctx.log.error({ err: errorMessage(err) }, 'Cluster changed: configuration not applied'),
    );
  }, ctx.log);
  const terminate = (signal: string) => {
    ctx.log.info({ signal }, 'received termination signal');
    stopWatch();
    stopCertificates?.();
    stopCredentials();
    metricsServer.closeAllConnections();
    metricsServer.close();
    void manager.shutdown().then(() => {
      server.closeAllConnections();
      server.close(() => finish(0));
    });
  };
  process.on('SIGTERM', () => terminate('SIGTERM'));
  process.on('SIGINT', () => terminate('SIGINT'));
  process.on('SIGHUP', () => {
    manager.reload().then(
      (r) => ctx.log.info(r, 'configuration reloaded'),
      (err: unknown) => ctx.log.error({ err: errorMessage(err) }, 'configuration not reloaded'),
    );
  });

  void manager.start().catch((err: unknown) => {
    ctx.log.error({ err: errorMessage(err) }, 'instance start failed');
  });
  return finished;
}
