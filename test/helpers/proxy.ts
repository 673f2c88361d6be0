// Starts tracebridge in-process from a config written to a YAML file, the way a user configures it,
// with logs captured so tests can check what was (and was not) logged.
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Flags } from '../../src/config/load.js';
import { createProxy, type Proxy } from '../../src/receive/server.js';
import { createLogger } from '../../src/observe/log.js';
import { waitFor } from './wait.js';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { track } from './cli.js';

interface Running {
  url: string;
  proxy: Proxy;
  logs: string[];
  dataDir: string;
  close(): Promise<void>;
}

/** Fast retries for tests; each test may override. */
export const FAST_RETRY = { initialMs: 30, multiplier: 1.5, randomization: 0, maxIntervalMs: 200, maxElapsedMs: 5000 };

export async function startProxy(config: Record<string, unknown>, flags: Flags = {}, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'tracebridge-test-'));
  const file = join(dir, 'tracebridge.yaml');
  // No OTLP/gRPC port unless a test asks (tests run side by side); the admission wait is the
  // test's to choose, and generous, so a busy machine is not mistaken for a saturated proxy.
  writeFileSync(file, stringify({ listen: '127.0.0.1:0', grpcListen: 'off', admitTimeoutMs: 60_000, dataDir: join(dir, 'data'), logLevel: 'debug', ...config }));
  const cfg = loadConfig({ ...flags, config: file }, env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const proxy = createProxy(cfg, { logger: createLogger(cfg.logLevel, sink) });
  const { url } = await proxy.listen();
  return { url, proxy, logs, dataDir: cfg.dataDir, close: () => proxy.close(500) };
}

/**
 * Waits until the proxy has nothing in hand (every answered request translated, every batch
 * delivered or dead-lettered): then "nothing more arrived" can be checked without sleeping.
 */
export async function drained(tb: Running, ms = 30_000): Promise<void> {
  await waitFor(() => tb.proxy.idle, ms, 'the proxy drained');
}

const src = (path: string) => JSON.stringify(pathToFileURL(new URL(`../../src/${path}`, import.meta.url).pathname).href);

/** What a separate proxy process runs: the config file in TB_CONFIG, from the sources (tsx). */
const CHILD = `
const { loadConfig } = await import(${src('config/load.ts')});
const { createProxy } = await import(${src('receive/server.ts')});
const proxy = createProxy(loadConfig({ config: process.env.TB_CONFIG }, {}));
const { url } = await proxy.listen();
process.stdout.write('tracebridge listening on ' + url + (proxy.grpcPort ? ' grpc ' + proxy.grpcPort : '') + '\\n');
process.on('SIGTERM', () => proxy.close(500).then(() => process.exit(0)));
`;

/**
 * Starts tracebridge in a process of its own (its memory measured apart from the test's), from
 * a config written as in startProxy. `stop` ends it (SIGKILL after 10 s).
 */
export async function spawnProxy(config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'tracebridge-child-'));
  const file = join(dir, 'tracebridge.yaml');
  writeFileSync(file, stringify({ listen: '127.0.0.1:0', grpcListen: 'off', dataDir: join(dir, 'data'), ...config }));
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { env: { ...process.env, TB_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => /tracebridge listening on /.test(out) || child.exitCode !== null, 20_000, 'the proxy process listening');
  const url = out.match(/tracebridge listening on (http:\/\/\S+)/)?.[1];
  if (!url) throw new Error(`the proxy process did not start: ${out}`);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  /** Peak resident memory (VmHWM) in MiB. */
  const peakMiB = () => Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)![1]) / 1024;
  const grpcPort = Number(out.match(/ grpc (\d+)/)?.[1] ?? 0) || undefined;
  return { url, grpcPort, child, stop, peakMiB, output: () => out };
}
