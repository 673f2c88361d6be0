// A loopback HTTP server that records every request it gets, for capturing what real clients send.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface CaptureServer {
  url: string;
  requests: Captured[];
  /** Resolves once `n` requests have arrived (rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<Captured[]>;
  close(): Promise<void>;
  server: Server;
}

type Responder = (req: Captured) => { status?: number; headers?: Record<string, string>; body?: string | Uint8Array } | undefined;

export async function captureServer(respond?: Responder): Promise<CaptureServer> {
  const requests: Captured[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cap: Captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(cap);
      const r = respond?.(cap) ?? {};
      res.writeHead(r.status ?? 200, r.headers ?? { 'content-type': 'application/json' });
      res.end(r.body ?? '{}');
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    async waitFor(n, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} requests, got ${requests.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
