// Starts tracebridge in-process from a config written to a YAML file, the way a user configures it,
// with logs captured so tests can check what was (and was not) logged.
import { Writable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Flags } from '../../src/config/load.js';
import { createProxy, type Proxy } from '../../src/receive/server.js';
import { createLogger } from '../../src/observe/log.js';
import { waitFor } from './wait.js';

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
