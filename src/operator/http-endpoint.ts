// The operator's small plain-HTTP servers (health probes, metrics), bound as controller-runtime binds
// its own: on one address, closed with the process.
import { createServer, type RequestListener } from 'node:http';

export interface HttpEndpoint {
  /** Where it listens (the port the system chose when asked for 0). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function serveHttp(at: { host: string; port: number }, handler: RequestListener): Promise<HttpEndpoint> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : at.port;
  return {
    address: { host: at.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the process up.
        server.closeAllConnections();
      }),
  };
}
