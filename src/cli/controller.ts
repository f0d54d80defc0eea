// `cnpg controller`: the operator process (upstream's `manager controller`). It connects through
// --kubeconfig, else the pod's service account (in-cluster), else $KUBECONFIG / ~/.kube/config.
// Bad flags end with one `error:` line and exit status 1; losing the lease ends the process with
// status 1, as controller-runtime does, so the Deployment restarts it as a candidate.
import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { inClusterKubeConfig, loadKubeConfig } from '../kube/client.ts';
import { componentLogger } from '../log/logger.ts';
import { DEFAULT_MAX_CONCURRENT_RECONCILES, operatorNamespace, startController } from '../operator/controller.ts';

interface ControllerFlags {
  kubeconfig?: string;
  leaderElect?: boolean;
  maxConcurrentReconciles: string;
  namespace?: string;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  operatorImage?: string;
}

class UsageError extends Error {}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`invalid ${flag} "${value}": expected an integer >= 1`);
  return n;
}

/**
 * `host:port`, `:port` (the pod's own address under the local runtime, else every address), or `0`
 * (no server), as controller-runtime's --health-probe-bind-address and --metrics-bind-address.
 */
export function parseBindAddress(value: string, flag: string): { host: string; port: number } | undefined {
  if (value === '0') return undefined;
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon < 0 || value.slice(colon + 1) === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`invalid ${flag} "${value}": expected HOST:PORT, :PORT or 0`);
  }
  const host = value.slice(0, colon) || process.env.CNPG_POD_IP || '0.0.0.0';
  return { host, port };
}

function kubeConfigFor(path: string | undefined): KubeConfig {
  if (path !== undefined) return loadKubeConfig(path);
  const inCluster = inClusterKubeConfig();
  if (inCluster !== undefined) return inCluster;
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (kc.getCurrentCluster() === null) {
    throw new UsageError('no API server to talk to: pass --kubeconfig, set KUBECONFIG, or run in a pod');
  }
  return kc;
}

async function runController(flags: ControllerFlags): Promise<number> {
  const maxConcurrentReconciles = positiveInteger(flags.maxConcurrentReconciles, '--max-concurrent-reconciles');
  const healthProbe = parseBindAddress(flags.healthProbeBindAddress, '--health-probe-bind-address');
  const metrics = parseBindAddress(flags.metricsBindAddress, '--metrics-bind-address');
  let kc: KubeConfig;
  try {
    kc = kubeConfigFor(flags.kubeconfig);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot load the kubeconfig: ${err instanceof Error ? err.message : String(err)}`);
  }
  const log = componentLogger('controller');
  const controller = await startController({
    kubeConfig: kc,
    maxConcurrentReconciles,
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    ...(flags.leaderElect === true ? { leaderElection: { namespace: operatorNamespace(kc) } } : {}),
    ...(healthProbe === undefined ? {} : { healthProbe }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(flags.operatorImage === undefined ? {} : { operatorImage: flags.operatorImage }),
    logger: log,
  });
  if (controller.healthAddress !== undefined) log.info({ address: controller.healthAddress }, 'health probes served');
  if (controller.metricsAddress !== undefined) log.info({ address: controller.metricsAddress }, 'metrics served');
  const signal = new Promise<number>((resolve) => {
    const onSignal = (name: string) => {
      log.info({ signal: name }, 'shutting down');
      resolve(0);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  const code = await Promise.race([signal, controller.lostLeadership.then(() => 1)]);
  await controller.stop();
  return code;
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('run the operator: reconcile Clusters through the API server')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster, then $KUBECONFIG, ~/.kube/config)')
    .option('--leader-elect', `compete for the Lease before reconciling (one active replica)`)
    .option(
      '--max-concurrent-reconciles <n>',
      'Clusters reconciled at the same time',
      String(DEFAULT_MAX_CONCURRENT_RECONCILES),
    )
    .option('--namespace <ns>', 'watch only this namespace (default: all namespaces)')
    .option(
      '--health-probe-bind-address <addr>',
      '/healthz and /readyz server: HOST:PORT, :PORT, or 0 for none',
      ':8081',
    )
    .option('--metrics-bind-address <addr>', '/metrics server: HOST:PORT, :PORT, or 0 for none', ':8080')
    .option('--operator-image <image>', "image of the instance pods' bootstrap-controller init container")
    .action(async (flags: ControllerFlags) => {
      try {
        process.exitCode = await runController(flags);
      } catch (err) {
        process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
      // Sockets of the client library may keep the loop alive after a clean stop.
      process.exit();
    });
}
