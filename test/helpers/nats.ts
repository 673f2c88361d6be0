// Real NATS JetStream servers for tests: one node or a 3-node cluster of the system's
// nats-server on free loopback ports, each with its own temporary store. Every node started
// here is killed when the test process ends, on failure too.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './cli.js';
import { waitFor } from './wait.js';

const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';

/** A port nothing listens on now (the kernel's pick, released for the server to take). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Node {
  name: string;
  port: number;
  http: number;
  cluster: number;
  store: string;
  conf: string;
  child?: ChildProcess;
  log: string;
}

export interface NatsCluster {
  /** Client URLs, one per node. */
  urls: string[];
  /** The URLs as --nats takes them. */
  flag: string;
  /** SIGKILL node `i` (its store stays for a restart). */
  kill(i: number): Promise<void>;
  /** Starts node `i` again on its store and waits until it is healthy. */
  restart(i: number): Promise<void>;
  /** What node `i` logged (for a failure's message). */
  log(i: number): string;
  /** The running nodes' process ids (a benchmark reads their CPU time). */
  pids(): number[];
  stop(): Promise<void>;
}

function confOf(n: Node, peers: Node[]): string {
  const routes = peers.filter((p) => p !== n).map((p) => `nats-route://127.0.0.1:${p.cluster}`);
  const cluster = peers.length > 1 ? `cluster { name: tb, listen: 127.0.0.1:${n.cluster}, routes: [${routes.join(', ')}] }` : '';
  return `server_name: ${n.name}\nlisten: 127.0.0.1:${n.port}\nhttp: 127.0.0.1:${n.http}\njetstream { store_dir: "${n.store}", max_memory_store: 64MB, max_file_store: 1TB }\n${cluster}\n`;
}

function launch(n: Node): void {
  const child = track(spawn(NATS_SERVER, ['-c', n.conf], { stdio: ['ignore', 'pipe', 'pipe'] }));
  n.log = '';
  child.stdout!.on('data', (c: Buffer) => (n.log += c));
  child.stderr!.on('data', (c: Buffer) => (n.log += c));
  n.child = child;
}

/** Healthy: serving clients, JetStream on and (in a cluster) a meta leader known. */
async function healthy(n: Node): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${n.http}/healthz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

async function waitHealthy(nodes: Node[], ms = 30_000): Promise<void> {
  for (const n of nodes) {
    const dead = () => n.child?.exitCode !== null && n.child?.exitCode !== undefined;
    await waitFor(async () => dead() || (await healthy(n)), ms, `nats-server ${n.name} healthy`);
    if (dead()) throw new Error(`nats-server ${n.name} exited: ${n.log}`);
  }
}

function killNode(n: Node): Promise<void> {
  const child = n.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Starts `size` nodes (1: a single server; 3: a cluster) and waits until every one is healthy. */
export async function startNats(size = 3): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), 'tb-nats-'));
  const nodes: Node[] = [];
  for (let i = 0; i < size; i++) {
    const store = join(root, `n${i}`);
    nodes.push({ name: `n${i}`, port: await freePort(), http: await freePort(), cluster: await freePort(), store, conf: join(root, `n${i}.conf`), log: '' });
  }
  for (const n of nodes) writeFileSync(n.conf, confOf(n, nodes));
  for (const n of nodes) launch(n);
  const stop = async () => {
    await Promise.all(nodes.map(killNode));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitHealthy(nodes);
  } catch (err) {
    await stop();
    throw err;
  }
  const urls = nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  return {
    urls,
    flag: urls.join(','),
    kill: (i) => killNode(nodes[i]),
    restart: async (i) => {
      await killNode(nodes[i]);
      launch(nodes[i]);
      await waitHealthy([nodes[i]]);
    },
    log: (i) => nodes[i].log,
    pids: () => nodes.flatMap((n) => (n.child?.pid && n.child.exitCode === null ? [n.child.pid] : [])),
    stop,
  };
}
