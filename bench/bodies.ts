// npm run bench:bodies — many large bodies at once: N concurrent 15 MB requests against the built
// proxy (one OTLP upstream on loopback answering 200), reporting the proxy's peak RSS (VmHWM) and
// how the requests were answered. Prints numbers; no pass/fail.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONCURRENT = Number(process.env.BODIES ?? 64);
const SIZE = 15 * 1024 * 1024;

const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200).end());
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(join(tmpdir(), 'tb-bodies-'));
writeFileSync(
  join(dir, 'tb.yaml'),
  stringify({
    listen: '127.0.0.1:0',
    dataDir: join(dir, 'data'),
    logLevel: 'warn',
    upstreams: [{ name: 'otlp', type: 'otlp', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }],
  }),
);
const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'serve', '--config', join(dir, 'tb.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<URL>((resolve) => {
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
    const m = out.match(/listening on (http:\/\/\S+)/);
    if (m) resolve(new URL(m[1]));
  });
});
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
// A valid OTLP/JSON body padded to SIZE with whitespace: the proxy reads it whole before decoding.
const span = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' };
const json = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
const body = Buffer.alloc(SIZE, 0x20);
body.write(json);
const started = Date.now();
const statuses = await Promise.all(
  Array.from(
    { length: CONCURRENT },
    () =>
      new Promise<number>((resolve) => {
        const req = request(
          { hostname: url.hostname, port: url.port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': SIZE } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', () => resolve(0));
        req.end(body);
      }),
  ),
);
const counts: Record<string, number> = {};
for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
console.log(`${CONCURRENT} concurrent ${SIZE / 1024 / 1024} MiB requests in ${Date.now() - started} ms: ${JSON.stringify(counts)}; peak RSS ${hwm().toFixed(0)} MiB`);
child.kill('SIGTERM');
upstream.close();
