// The local runtime in one process: the API server, and as its clients (through client-node and
// the kubeconfig it writes, like any other client) the node agent with its claim binder and
// workload controllers, and the service proxy. `cnpg local daemon` runs this; tests start it
// in-process.
import { KubeConfig } from '@kubernetes/client-node';
import { componentLogger, type Logger } from '../log/logger.ts';
import { type RunningApiServer, startApiServer } from './apiserver/server.ts';
import { ClaimBinder } from './node/claims.ts';
import { DeploymentController } from './node/deployments.ts';
import { JobController } from './node/jobs.ts';
import { NodeAgent } from './node/node-agent.ts';
import type { BackOff } from './node/pod-worker.ts';
import { ServiceProxy } from './proxy/service-proxy.ts';

export interface LocalRuntimeOptions {
  dataDir: string;
  /** The API server's address (a loopback address; default 127.0.0.1) and port (0: any free one). */
  host?: string;
  port?: number;
  /** Container restart back-off (default: the kubelet's 10 s doubling to 5 min). */
  backoff?: BackOff;
  /** Installed PostgreSQL majors (default: found under /usr/lib/postgresql). */
  installedMajors?: number[];
  /** Makes each component's logger (default: JSON on stdout, level from CNPG_LOG_LEVEL). */
  logger?: (component: string) => Logger;
}

export interface LocalRuntime {
  apiServer: RunningApiServer;
  kubeConfig: KubeConfig;
  nodeAgent: NodeAgent;
  proxy: ServiceProxy;
  /** Stops the pods (with their grace periods), the proxy, the controllers and the API server. */
  stop(): Promise<void>;
}

interface Component {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const logger = opts.logger ?? ((component: string) => componentLogger(component, { dataDir: opts.dataDir }));
  const log = logger('local-runtime');
  const apiServer = await startApiServer({
    dataDir: opts.dataDir,
    host: opts.host,
    port: opts.port,
    logger: logger('apiserver'),
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(apiServer.kubeconfigPath);
  const url = new URL(apiServer.url);
  const nodeAgent = new NodeAgent({
    kubeConfig,
    dataDir: opts.dataDir,
    apiServer: { host: url.hostname, port: Number(url.port) },
    caCertPem: apiServer.caCertPem,
    log: logger('node-agent'),
    backoff: opts.backoff,
    installedMajors: opts.installedMajors,
  });
  const proxy = new ServiceProxy(kubeConfig, logger('service-proxy'));
  const components: Component[] = [
    new ClaimBinder(kubeConfig, opts.dataDir, logger('claim-binder')),
    nodeAgent,
    new DeploymentController(kubeConfig, logger('deployment-controller')),
    new JobController(kubeConfig, logger('job-controller')),
    proxy,
  ];
  const started: Component[] = [];
  const stopAll = async (): Promise<void> => {
    // Pods stop first (their grace periods), while the API server can still take their status.
    for (const c of [...started].reverse()) {
      await c.stop().catch((err: unknown) => log.error({ err }, 'error while stopping a runtime component'));
    }
    await apiServer.stop();
  };
  try {
    for (const c of components) {
      await c.start();
      started.push(c);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    apiServer,
    kubeConfig,
    nodeAgent,
    proxy,
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
