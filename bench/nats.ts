// npm run bench:nats: dual-write (protobuf in, Weave and Langtrace out) with the local durable
// layer, with --nats on one local nats-server, and on a 3-node JetStream cluster (all on this
// machine). Prints spans/s at saturation, spans per tracebridge CPU-second, NATS's CPU, and
// latency at a light fixed rate. Numbers only, no pass/fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { batchOf, captured } from './fixtures.js';
import { encodeExportResponseProto, encodeOtlpProto } from '../src/wire/otlp-proto.js';
import { startNats, type NatsCluster } from '../test/helpers/nats.js';

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SPANS = 100;
const LIGHT_RPS = 10; // 1,000 spans/s
const LIGHT_SECONDS = 8;

/** An upstream that answers every request at once. */
async function sink(): Promise<{ url: string; server: Server }> {
  const ok = Buffer.from(encodeExportResponseProto());
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const json = req.url?.includes('/api/trace');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{"message":"Traces added successfully"}' : ok);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

function serve(config: Record<string, unknown>): Promise<{ child: ChildProcess; url: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-bench-nats-')), 'tracebridge.yaml');
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', file], { env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, url: m[1] });
    });
  });
}

/** Spans delivered so far, both upstreams together. */
async function forwarded(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^tracebridge_spans_forwarded_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

/** Waits until `spans` more than `from` are delivered: with NATS, delivery may trail the answers by far. */
async function delivered(url: string, from: number, spans: number): Promise<void> {
  const deadline = performance.now() + 300_000;
  while ((await forwarded(url)) - from < spans && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

const post = (url: string, body: Buffer) =>
  fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body }).then(
    (r) => (r.body?.cancel(), r.status),
    () => 0,
  );

/** Closed loop: CONCURRENCY clients for SECONDS; spans taken (200s) per second. */
async function saturate(url: string, bodies: Buffer[]): Promise<{ spans: number; secs: number }> {
  let ok = 0;
  let i = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  const client = async () => {
    while (performance.now() < end) if ((await post(url, bodies[i++ % bodies.length])) === 200) ok++;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return { spans: ok * SPANS, secs: (performance.now() - t0) / 1000 };
}

/** Open loop at LIGHT_RPS: p50 and p99 of the answer's time, in ms. */
async function light(url: string, bodies: Buffer[]): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  const sends: Promise<void>[] = [];
  for (let n = 0; n < LIGHT_RPS * LIGHT_SECONDS; n++) {
    const t = performance.now();
    sends.push(post(url, bodies[n % bodies.length]).then(() => void times.push(performance.now() - t)));
    await new Promise((r) => setTimeout(r, 1000 / LIGHT_RPS));
  }
  await Promise.all(sends);
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}

interface Row {
  layer: string;
  /** Taken and delivered to both, per second of the whole (answering, then draining). */
  spansPerSec: number;
  /** Answered 200 per second while the load ran. */
  answeredPerSec: number;
  perCpu: number;
  natsCpuPer10k: number;
  p50: number;
  p99: number;
}

async function measure(layer: string, nats: NatsCluster | undefined, bodies: Buffer[]): Promise<Row> {
  const [weave, langtrace] = [await sink(), await sink()];
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-data-'));
  const tb = await serve({
    listen: '127.0.0.1:0',
    grpcListen: 'off',
    dataDir: dir,
    logLevel: 'warn',
    // Every body is sent many times: the repeated-request check would take them as retries.
    dedupWindowMs: 0,
    ...(nats ? { nats: { servers: nats.urls, stream: 'bench' } } : {}),
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' } },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' } },
    ],
  });
  const natsCpu = () => (nats?.pids() ?? []).reduce((n, pid) => n + cpuSeconds(pid), 0);
  const warm = await saturate(tb.url, bodies.slice(0, 4));
  await delivered(tb.url, 0, warm.spans * 2);
  const before = await forwarded(tb.url);
  const cpu0 = cpuSeconds(tb.child.pid!);
  const nats0 = natsCpu();
  const t0 = performance.now();
  const sat = await saturate(tb.url, bodies);
  // Counted until every copy is delivered: translating and sending are part of the cost.
  await delivered(tb.url, before, sat.spans * 2);
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(tb.child.pid!) - cpu0;
  const natsUsed = natsCpu() - nats0;
  const lat = await light(tb.url, bodies);
  tb.child.kill('SIGTERM');
  await new Promise((r) => tb.child.once('exit', r));
  weave.server.close();
  langtrace.server.close();
  const spansPerSec = sat.spans / secs;
  return { layer, spansPerSec, answeredPerSec: sat.spans / sat.secs, perCpu: sat.spans / cpu, natsCpuPer10k: natsUsed / secs / (spansPerSec / 10_000), ...lat };
}

const template = captured('openinference');
const bodies = Array.from({ length: 64 }, () => Buffer.from(encodeOtlpProto(batchOf(template, SPANS))));
const rows: Row[] = [await measure('local journal and queues', undefined, bodies)];
for (const size of [1, 3]) {
  const nats = await startNats(size);
  try {
    rows.push(await measure(size === 1 ? '--nats, one local nats-server' : '--nats, 3-node JetStream cluster (R3)', nats, bodies));
  } finally {
    await nats.stop();
  }
}
const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${SECONDS} s at concurrency ${CONCURRENCY}, batches of ${SPANS} spans`);
console.log('| durable layer | spans/s answered | spans/s delivered to both | spans per tracebridge CPU-second | NATS CPU per 10k spans/s | p50 / p99 at 1k spans/s (ms) |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
for (const r of rows)
  console.log(
    `| ${r.layer} | ${f(r.answeredPerSec)} | ${f(r.spansPerSec)} | ${f(r.perCpu)} | ${r.natsCpuPer10k ? `${f(r.natsCpuPer10k * 100)}% of a core` : '–'} | ${f(r.p50, 1)} / ${f(r.p99, 1)} |`,
  );
