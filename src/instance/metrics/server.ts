// The metrics endpoint (upstream's metrics server, port 9187): GET /metrics and nothing else.
// With `--metrics-port-tls` (spec.monitoring.tls.enabled) it speaks HTTPS only, TLS 1.3, with the
// instance's server certificate, and asks no client certificate, as upstream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from '../../log/logger.ts';
import { errorMessage } from '../errors.ts';
import type { MetricsExporter } from './exporter.ts';

const METRICS_PATH = '/metrics';
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface MetricsServerTls {
  cert: string;
  key: string;
}

export function createMetricsServer(exporter: MetricsExporter, log: Logger, tls?: MetricsServerTls): Server {
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
      return;
    }
    exporter.scrape().then(
      (text) => {
        res.writeHead(200, { 'content-type': CONTENT_TYPE });
        res.end(text);
      },
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`cannot collect metrics: ${errorMessage(err)}\n`);
      },
    );
  };
  if (tls === undefined) return createServer(serve);
  return createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' }, serve);
}
