// npm run bench: tracebridge (built JS, production settings) against a raw http-proxy passthrough,
// under the same load, from this separate process. Prints numbers, writes BENCHMARKS.md; no pass/fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { batchOf, captured } from './fixtures.js';
import { encodeOtlpProto, encodeExportResponseProto } from '../src/wire/otlp-proto.js';
import { encodeOtlpJson } from '../src/wire/otlp-json.js';
import { instructions } from './perf.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RATE = 5000; // spans/s for the latency run
const LIGHT = 1000; // spans/s for the light-load latency run: what one request costs, without queueing
/** Length of each fixed-rate run: long enough that a p99 is not just the slowest of a few requests. */
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 8);
const LIGHT_SECONDS = LATENCY_SECONDS * 2;
const DOWN_URL = 'http://127.0.0.1:9'; // nothing listens on the discard port here: connections are refused
const QUICK = process.env.BENCH_QUICK === '1';
/** The tracebridge to measure: a folder holding dist/src/cli.js (another build, for before/after). */
const BUILD = process.env.BENCH_BUILD ?? ROOT;
/** Upstreams' batch.maxSpans (1: no coalescing), for before/after; unset, the default. */
const BATCH_MAX_SPANS = process.env.BENCH_BATCH_MAX_SPANS;
/** Extra node flags for the tracebridge process, e.g. --cpu-prof to profile it. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

// ---- loopback sinks that count what arrives ----
interface Sink {
  url: string;
  requests: number;
  server: Server;
}
async function sink(): Promise<Sink> {
  const s: Sink = { url: '', requests: 0, server: createServer() };
  const okProto = Buffer.from(encodeExportResponseProto());
  s.server.on('request', (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      s.requests++;
      if (req.url?.includes('/api/trace')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"message":"Traces added successfully"}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end(okProto);
      }
    });
  });
  s.server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  return s;
}

/** Spans tracebridge delivered, all upstreams together: upstream requests may carry several batches. */
async function forwarded(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^tracebridge_spans_forwarded_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

/** Polls until tracebridge has delivered `spans` more than `from`, or `ms` passed. */
async function untilForwarded(url: string, from: number, spans: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while ((await forwarded(url)) - from < spans && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

// ---- processes under test ----
function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, {
    cwd: args.includes('serve') ? BUILD : ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('did not start: ' + out)), 15_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** utime + stime of a stat file, in seconds, and stime alone. */
function statSeconds(file: string): { cpu: number; kernel: number } {
  const stat = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return { cpu: (Number(stat[11]) + Number(stat[12])) / 100, kernel: Number(stat[12]) / 100 };
}

/** The whole process, and its main thread alone: the rest is V8's helpers (GC, compiling) and libuv's pool (file I/O). */
function procStats(pid: number): { cpuSeconds: number; kernelSeconds: number; mainSeconds: number; peakRssMiB: number } {
  const all = statSeconds(`/proc/${pid}/stat`);
  const main = statSeconds(`/proc/${pid}/task/${pid}/stat`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
  return { cpuSeconds: all.cpu, kernelSeconds: all.kernel, mainSeconds: main.cpu, peakRssMiB: hwm / 1024 };
}

// ---- load ----
/** Bodies with a fresh trace id per request (clients never send the same batch twice). */
function bodyMaker(template: Buffer, traceIdHex: string, json: boolean): () => Buffer {
  const needle = json ? Buffer.from(traceIdHex) : Buffer.from(traceIdHex, 'hex');
  const offsets: number[] = [];
  for (let at = template.indexOf(needle); at >= 0; at = template.indexOf(needle, at + 1)) offsets.push(at);
  let n = 0;
  return () => {
    const b = Buffer.from(template);
    const id = Buffer.alloc(16);
    id.writeUInt32BE(++n, 12);
    id.writeUInt32BE(process.pid, 0);
    const bytes = json ? Buffer.from(id.toString('hex')) : id;
    for (const o of offsets) bytes.copy(b, o);
    return b;
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function saturate(url: string, make: () => Buffer, headers: Record<string, string>, seconds: number): Promise<{ ok: number; other: number }> {
  const end = performance.now() + seconds * 1000;
  let ok = 0;
  let other = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const s = await post(url, make(), headers);
        if (s === 200) ok++;
        else {
          other++;
          if (s === 429) await new Promise((r) => setTimeout(r, 20));
        }
      }
    }),
  );
  return { ok, other };
}

/**
 * Open-loop requests at a fixed rate; each tick sends one request to every URL at the same moment.
 * Returns each URL's latencies in sending order, so they can be paired request by request.
 */
async function fixedRate(urls: string[], make: () => Buffer, headers: Record<string, string>, reqPerSec: number, seconds: number): Promise<number[][]> {
  const total = Math.round(reqPerSec * seconds);
  const latencies = urls.map(() => new Array<number>(total).fill(NaN));
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / reqPerSec;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = make(); // the same bytes to every URL: their latencies are compared pairwise
    urls.forEach((url, u) => {
      const t0 = performance.now();
      pending.push(post(url, body, headers).then(() => void (latencies[u][i] = performance.now() - t0)));
    });
  }
  await Promise.all(pending);
  return latencies;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

interface Scenario {
  name: string;
  batch: number;
  input: 'proto' | 'json';
  path: string;
  upstreams: Array<'weave' | 'langtrace'>;
  /** An upstream that refuses connections for the whole scenario (its queue fills, memory must not). */
  down?: 'weave' | 'langtrace';
  ack: 'queue' | 'upstream';
  workers?: number;
  /** Run only when BENCH_ONLY names it. */
  optIn?: boolean;
  /** Spans/s of the two fixed-rate runs, when not RATE and LIGHT (small requests cost more). */
  rates?: [number, number];
}

interface Row {
  scenario: string;
  spansPerSec: number;
  passSpansPerSec: number;
  /** Spans per second of the proxy's own CPU time (all threads) at saturation: per core. */
  perCore: number;
  passPerCore: number;
  p50: number;
  p99: number;
  passP50: number;
  passP99: number;
  /** Percentiles of tracebridge's latency minus the passthrough's, request by request (same moment, same body). */
  addedP50: number;
  addedP99: number;
  lightP50: number;
  lightP99: number;
  /** High-water mark after the saturation run (closed loop, CONCURRENCY requests at a time). */
  peakRss: number;
  /** ... and over the whole scenario, including the fixed-rate run, which is open loop. */
  peakRssOverall: number;
  cpuPer10k: number;
  instructionsPerSpan: number | undefined;
  delivered: string;
}

async function main() {
  const source = captured('openinference');
  const scenarios: Scenario[] = [
    { name: 'protobuf in → Weave out', batch: 100, input: 'proto', path: '/v1/traces', upstreams: ['weave'], ack: 'queue' },
    { name: 'JSON in → Langtrace out', batch: 100, input: 'json', path: '/v1/traces', upstreams: ['langtrace'], ack: 'queue' },
    { name: 'protobuf in → both (dual-write), durable queue', batch: 100, input: 'proto', path: '/v1/traces', upstreams: ['weave', 'langtrace'], ack: 'queue' },
    {
      name: 'protobuf in → both (dual-write), durable queue, 2 worker threads',
      batch: 100,
      input: 'proto',
      path: '/v1/traces',
      upstreams: ['weave', 'langtrace'],
      ack: 'queue',
      workers: 2,
    },
    { name: 'protobuf in → both, ack: upstream (no disk)', batch: 100, input: 'proto', path: '/v1/traces', upstreams: ['weave', 'langtrace'], ack: 'upstream' },
    { name: 'protobuf in → both (dual-write), durable queue', batch: 512, input: 'proto', path: '/v1/traces', upstreams: ['weave', 'langtrace'], ack: 'queue' },
    // One span a request, as a client with SimpleSpanProcessor sends: what coalescing is for.
    {
      name: 'protobuf in → both (dual-write), durable queue, one span a request',
      batch: 1,
      input: 'proto',
      path: '/v1/traces',
      upstreams: ['weave', 'langtrace'],
      ack: 'queue',
      optIn: true,
      rates: [500, 200],
    },
    {
      name: 'protobuf in → both, durable queue, Langtrace down',
      batch: 100,
      input: 'proto',
      path: '/v1/traces',
      upstreams: ['weave', 'langtrace'],
      ack: 'queue',
      down: 'langtrace',
    },
  ];
  const rows: Row[] = [];
  const only = process.env.BENCH_ONLY; // runs the scenarios whose name contains this text
  const chosen = only ? scenarios.filter((sc) => `${sc.name}, batches of ${sc.batch}`.includes(only)) : QUICK ? scenarios.slice(2, 4) : scenarios.filter((sc) => !sc.optIn);
  for (const sc of chosen) {
    const batch = batchOf(source, sc.batch);
    const traceId = batch.resourceSpans[0].scopeSpans[0].spans[0].traceId;
    const template = sc.input === 'proto' ? Buffer.from(encodeOtlpProto(batch)) : Buffer.from(encodeOtlpJson(batch));
    const make = bodyMaker(template, traceId, sc.input === 'json');
    const headers = { 'content-type': sc.input === 'proto' ? 'application/x-protobuf' : 'application/json' };
    const sinks = await sink();
    const dir = mkdtempSync(join(tmpdir(), 'tracebridge-bench-'));
    const config = join(dir, 'bench.yaml');
    writeFileSync(
      config,
      stringify({
        listen: '127.0.0.1:0',
        dataDir: join(dir, 'data'),
        logLevel: 'warn',
        ack: sc.ack,
        workers: sc.workers ?? 0,
        upstreams: sc.upstreams.map((u) => ({
          name: u,
          type: u,
          url: u === sc.down ? DOWN_URL : sinks.url,
          project: 'bench/bench',
          auth: { mode: 'static', key: 'k' },
          queue: { maxBatches: 2000, concurrency: 8 },
          ...(BATCH_MAX_SPANS ? { batch: { maxSpans: Number(BATCH_MAX_SPANS) } } : {}),
        })),
      }),
    );
    // passthrough floor, same load; it has its own sink, so the counts below are tracebridge's alone
    const passSink = await sink();
    const pass = await startProcess(['bench/passthrough.mjs', passSink.url + '/v1/traces', '0']);
    await saturate(pass.url + sc.path, make, headers, 1);
    const passCpu0 = procStats(pass.child.pid!).cpuSeconds;
    const ps = await saturate(pass.url + sc.path, make, headers, SECONDS);
    const passCpu = procStats(pass.child.pid!).cpuSeconds - passCpu0;
    // tracebridge
    const tb = await startProcess([...NODE_ARGS, 'dist/src/cli.js', 'serve', '--config', config]);
    const before = sinks.requests;
    const warm = await saturate(tb.url + sc.path, make, headers, 1);
    const sat0 = procStats(tb.child.pid!);
    const satCpu0 = sat0.cpuSeconds;
    const ts = await saturate(tb.url + sc.path, make, headers, SECONDS);
    const saturatedRss = procStats(tb.child.pid!).peakRssMiB;
    const acceptedBatches = ts.ok;
    // let the queues drain (every accepted batch delivered), then the fixed-rate run with CPU measured
    const drainStart = performance.now();
    const live = sc.upstreams.filter((u) => u !== sc.down).length;
    await untilForwarded(tb.url, 0, (warm.ok + acceptedBatches) * sc.batch * live, 120_000);
    const drainSecs = (performance.now() - drainStart) / 1000;
    // CPU of the saturation run and its drain: what the accepted spans cost, whatever else ran on the machine.
    const sat1 = procStats(tb.child.pid!);
    const satCpu = sat1.cpuSeconds - satCpu0;
    const kernelShare = (sat1.kernelSeconds - sat0.kernelSeconds) / satCpu;
    const helperShare = 1 - (sat1.mainSeconds - sat0.mainSeconds) / satCpu;
    const cpu0 = sat1;
    const t0 = performance.now();
    let tl: number[] = [];
    let pl: number[] = [];
    let secs = 0;
    let cpu1 = cpu0;
    const fixedFrom = await forwarded(tb.url);
    const instr = await instructions(tb.child.pid!, async () => {
      // The passthrough's fixed-rate run goes at the same time, so both see the same machine.
      [tl, pl] = await fixedRate([tb.url + sc.path, pass.url + sc.path], make, headers, (sc.rates?.[0] ?? RATE) / sc.batch, LATENCY_SECONDS);
      secs = (performance.now() - t0) / 1000;
      cpu1 = procStats(tb.child.pid!);
      // Until everything taken is delivered, so the count covers the whole path of every span.
      await untilForwarded(tb.url, fixedFrom, tl.length * sc.batch * live, 60_000);
    });
    await stop(pass.child);
    passSink.server.close();
    const [light] = await fixedRate([tb.url + sc.path], make, headers, (sc.rates?.[1] ?? LIGHT) / sc.batch, LIGHT_SECONDS);
    // What each request took through tracebridge beyond what the same request took through the passthrough, sent at the same moment.
    const added = sorted(tl.map((t, i) => t - pl[i]));
    const [tbSorted, passSorted, lightSorted] = [sorted(tl), sorted(pl), sorted(light)];
    await new Promise((r) => setTimeout(r, 1500));
    const stats = procStats(tb.child.pid!);
    await stop(tb.child);
    const received = sinks.requests - before;
    sinks.server.close();
    const row: Row = {
      scenario: `${sc.name}, batches of ${sc.batch}`,
      spansPerSec: Math.round((acceptedBatches * sc.batch) / SECONDS),
      passSpansPerSec: Math.round((ps.ok * sc.batch) / SECONDS),
      perCore: Math.round((acceptedBatches * sc.batch) / satCpu),
      passPerCore: Math.round((ps.ok * sc.batch) / passCpu),
      p50: pct(tbSorted, 50),
      p99: pct(tbSorted, 99),
      passP50: pct(passSorted, 50),
      passP99: pct(passSorted, 99),
      addedP50: pct(added, 50),
      addedP99: pct(added, 99),
      lightP50: pct(lightSorted, 50),
      lightP99: pct(lightSorted, 99),
      peakRss: saturatedRss,
      peakRssOverall: stats.peakRssMiB,
      cpuPer10k: (cpu1.cpuSeconds - cpu0.cpuSeconds) / secs / ((sc.rates?.[0] ?? RATE) / 10_000),
      instructionsPerSpan: instr === undefined ? undefined : instr / (tl.length * sc.batch),
      delivered: `${received} upstream requests for ${live} × accepted${sc.down ? ` (${sc.down} down)` : ''}; drained in ${drainSecs.toFixed(1)} s`,
    };
    rows.push(row);
    console.log(
      `${row.scenario}\n  tracebridge ${row.spansPerSec.toLocaleString('en-US')} spans/s (${ts.other} refused), passthrough ${row.passSpansPerSec.toLocaleString('en-US')} spans/s, ratio ${(row.spansPerSec / row.passSpansPerSec).toFixed(2)}x\n` +
        `  per core (spans per CPU-second at saturation): tracebridge ${row.perCore.toLocaleString('en-US')}, passthrough ${row.passPerCore.toLocaleString('en-US')}, ratio ${(row.perCore / row.passPerCore).toFixed(3)}x (tracebridge's CPU ${Math.round(kernelShare * 100)}% in the kernel, ${Math.round(helperShare * 100)}% outside the main thread)\n` +
        `  at ${sc.rates?.[0] ?? RATE} spans/s: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms (passthrough p50 ${row.passP50.toFixed(2)}, p99 ${row.passP99.toFixed(2)}, sent at the same moments; added per request p50 ${row.addedP50.toFixed(2)}, p99 ${row.addedP99.toFixed(2)}); at ${sc.rates?.[1] ?? LIGHT} spans/s: p50 ${row.lightP50.toFixed(2)} ms, p99 ${row.lightP99.toFixed(2)} ms; CPU ${(row.cpuPer10k * 100).toFixed(0)}% of a core per 10k spans/s${row.instructionsPerSpan ? `, ${Math.round(row.instructionsPerSpan / 1000)}k instructions per span` : ''}; peak RSS ${row.peakRss.toFixed(0)} MiB at saturation, ${row.peakRssOverall.toFixed(0)} MiB overall\n  ${row.delivered}`,
    );
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const table = [
    '| scenario | tracebridge spans/s | passthrough spans/s | ratio | per core: tracebridge / passthrough (ratio) | p50 / p99 at 5k spans/s (ms), passthrough in brackets | added p50 / p99 (ms) | p50 / p99 at 1k spans/s (ms) | CPU per 10k spans/s | instructions per span | peak RSS at saturation (overall) |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.spansPerSec.toLocaleString('en-US')} | ${r.passSpansPerSec.toLocaleString('en-US')} | ${(r.spansPerSec / r.passSpansPerSec).toFixed(2)}x | ${r.perCore.toLocaleString('en-US')} / ${r.passPerCore.toLocaleString('en-US')} (${(r.perCore / r.passPerCore).toFixed(3)}x) | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} (${r.passP50.toFixed(1)} / ${r.passP99.toFixed(1)}) | ${r.addedP50.toFixed(1)} / ${r.addedP99.toFixed(1)} | ${r.lightP50.toFixed(1)} / ${r.lightP99.toFixed(1)} | ${(r.cpuPer10k * 100).toFixed(0)}% of a core | ${r.instructionsPerSpan ? `${Math.round(r.instructionsPerSpan / 1000)}k` : 'n/a'} | ${r.peakRss.toFixed(0)} MiB (${r.peakRssOverall.toFixed(0)}) |`,
    ),
  ].join('\n');
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, `Machine: ${machine}\nCommand: npm run bench (${SECONDS} s saturation, ${CONCURRENCY} concurrent requests, OpenInference spans)\n\n${table}\n`);
  console.log('\n' + table);
  agent.destroy();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
