// npm run bench:sender [-- OTHER_DIST_DIR]: CPU of the sending process per upstream POST, for
// this build's sender (dist/) and optionally another build's, in alternated separate processes.
// The sink runs in its own process, so only the sender's work is counted.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POSTS = Number(process.env.BENCH_POSTS ?? 3000);
const WARMUP = 300;
const CONCURRENCY = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** About a gzipped 100-span batch. */
const BODY = Buffer.alloc(16 * 1024, 7);

function child(args: string[]): Promise<string> {
  const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  return new Promise((ok, fail) => p.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`exit ${code}`)))));
}

async function runSink(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
}

/** One build's sender: POSTS requests at CONCURRENCY, CPU per request in microseconds. */
async function runSender(build: string, url: string): Promise<void> {
  const { httpSender } = (await import(pathToFileURL(join(build, 'src/forward/sender.js')).href)) as typeof import('../src/forward/sender.js');
  const { upstreamSchema } = (await import(pathToFileURL(join(build, 'src/config/schema.js')).href)) as typeof import('../src/config/schema.js');
  const sender = httpSender(upstreamSchema.parse({ name: 'bench', type: 'otlp', url, gzip: true }));
  const delivery = { upstream: 'bench', spans: 100, requests: [{ body: BODY, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' } }] };
  const burst = async (n: number) => {
    let left = n;
    const lane = async () => {
      while (left-- > 0) if ((await sender.send(delivery)).kind !== 'delivered') throw new Error('not delivered');
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  };
  await burst(WARMUP);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await burst(POSTS);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - t0;
  sender.stop();
  process.stdout.write(JSON.stringify({ usPerPost: (used.user + used.system) / POSTS, wallMs: Math.round(wall) }) + '\n');
}

async function main(): Promise<void> {
  const builds = [join(ROOT, 'dist'), ...process.argv.slice(2).map((d) => resolve(d))];
  const sink = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--sink'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((r) => sink.stdout.once('data', (c: Buffer) => r(c.toString().trim())));
  const results = new Map<string, number[]>(builds.map((b) => [b, []]));
  try {
    for (let round = 0; round < ROUNDS; round++)
      for (const b of builds) {
        const { usPerPost } = JSON.parse(await child(['--send', b, `http://127.0.0.1:${port}`])) as { usPerPost: number };
        results.get(b)!.push(usPerPost);
      }
  } finally {
    sink.kill();
  }
  for (const [b, us] of results) console.log(`${b}: ${us.map((u) => u.toFixed(0)).join(' / ')} µs of CPU per POST (${POSTS} POSTs, ${CONCURRENCY} at a time)`);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === '--sink') await runSink();
else if (mode === '--send') await runSender(a, b);
else await main();
