// `cnpg local apiserver --data-dir DIR`: the local runtime's API server in the foreground, until
// SIGINT or SIGTERM (`cnpg local up` runs it in the background).
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { startApiServer } from '../local/apiserver/server.ts';

function localCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'local') ??
    program.command('local').description('the embedded local runtime')
  );
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`"${value}" is not a port number (0-65535)`);
  return n;
}

export function registerLocalApiServerCommand(program: Command): void {
  localCommand(program)
    .command('apiserver')
    .description('run the local Kubernetes-compatible API server (kubeconfig written to DIR/kubeconfig)')
    .requiredOption('--data-dir <dir>', 'the data directory holding the state, the PKI and the kubeconfig')
    .option('--host <address>', 'the loopback address to listen on', '127.0.0.1')
    .option('--port <port>', "the port (default: the previous run's, else a free one)", portNumber)
    .action(async (opts: { dataDir: string; host: string; port?: number }) => {
      const server = await startApiServer({ dataDir: resolve(opts.dataDir), host: opts.host, port: opts.port });
      process.stdout.write(`${JSON.stringify({ url: server.url, kubeconfig: server.kubeconfigPath })}\n`);
      await new Promise<void>((done) => {
        const shutdown = () => {
          server.stop().then(done, done);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
}
