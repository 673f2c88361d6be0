// The proxy, assembled: receivers → admission → durable hand-off → translate → deliver per
// upstream. Each step is its own unit; this file only wires them.
import type { Server } from 'node:http';
import type { Config } from '../config/schema.js';
import { loadMappings, type Mappings } from '../conventions/mappings.js';
import { probeDataDir } from '../forward/disk.js';
import { Upstream } from '../forward/upstream.js';
import { ProxyActivity } from '../observe/activity.js';
import { createLogger, type Logger } from '../observe/log.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { SharedVerdicts } from '../auth/shared-verdicts.js';
import { Admission } from './admission.js';
import type { ProxyContext } from './context.js';
import type { HandOff } from './handoff.js';
import { HttpRoutes } from './http-routes.js';
import { Ingest } from './ingest.js';
import { Listeners, type Listening } from './listeners.js';
import { JetStreamHandOff } from './jetstream-handoff.js';
import { LocalHandOff } from './local-handoff.js';
import { WorkerPool } from './pool.js';

export interface Proxy {
  server: Server;
  /** The OTLP/gRPC port, once listening (undefined when off). */
  grpcPort?: number;
  /** Nothing in hand: no request being taken or translated, no batch waiting or being sent. */
  readonly idle: boolean;
  upstreams: Upstream[];
  metrics: Metrics;
  log: Logger;
  /** New key tables (a configuration reload); worker threads keep theirs until a restart. */
  setMappings(overrides: Config['mappings']): void;
  /** The receivers' TLS files read again (a reload); the problems, if any, and the running ones kept. */
  reloadTls(): string[];
  listen(): Promise<Listening>;
  close(graceMs?: number): Promise<void>;
}

export interface ProxyOptions {
  logger?: Logger;
}

export function createProxy(config: Config, opts: ProxyOptions = {}): Proxy {
  const log = opts.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  let mappings: Mappings = loadMappings(config.mappings);
  let shuttingDown = false;
  const upstreams = config.upstreams.map((u) => new Upstream(u, config.dataDir, log, metrics));
  // With NATS, key verdicts are shared by every replica, and the hand-off is JetStream's.
  const verdicts = config.nats ? new SharedVerdicts(log) : undefined;
  const ctx: ProxyContext = {
    config,
    log,
    metrics,
    upstreams,
    byName: new Map(upstreams.map((u) => [u.name, u])),
    admission: new Admission(config, upstreams, verdicts),
    activity: new ProxyActivity(),
    pool: config.workers > 0 ? new WorkerPool(config, config.workers) : undefined,
    mappings: () => mappings,
    closing: () => shuttingDown,
  };
  const handOff: HandOff = verdicts ? new JetStreamHandOff(ctx, verdicts) : new LocalHandOff(ctx);
  const routes = new HttpRoutes(ctx, new Ingest(ctx, handOff), handOff);
  const listeners = new Listeners(config, log, metrics, routes, ctx.admission.bodies);

  const proxy: Proxy = {
    server: listeners.server,
    upstreams,
    get idle() {
      return routes.pending === 0 && handOff.idle;
    },
    metrics,
    log,
    setMappings: (overrides) => void (mappings = loadMappings(overrides)),
    reloadTls: () => listeners.reloadTls(),
    async listen() {
      // With NATS the data dir holds nothing (a sink's files at most): no volume is needed.
      if (!config.nats) await probeDataDir(config.dataDir);
      await handOff.open();
      listeners.warnIfOpen(ctx.admission.passesCallerKeys);
      const at = await listeners.listen();
      proxy.grpcPort = listeners.grpcPort;
      return at;
    },
    async close(graceMs = 10_000) {
      // Stop accepting, let requests already being taken finish, then the hand-off and the
      // workers; whatever is still stored is found at the next start.
      shuttingDown = true;
      const closed = listeners.stopAccepting();
      const deadline = Date.now() + graceMs;
      while (routes.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await handOff.close(deadline);
      await listeners.close(closed);
      routes.close();
      await ctx.pool?.close();
    },
  };
  return proxy;
}
