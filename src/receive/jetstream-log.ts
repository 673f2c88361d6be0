// The durable log on NATS JetStream: one stream every replica publishes answered requests to,
// as received (the body, how it is encoded, the credentials the journal would keep). A request
// is answered 200 only once JetStream acknowledges it, that is once a quorum of its servers
// stored it. The stream refuses when full (discard new): the client hears 429/507 and retries,
// JetStream never drops what was acknowledged.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, headers as natsHeaders, nanos, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observe/log.js';
import { HttpError, RETRY_AFTER_S } from './admission.js';
import type { ProcessInput } from './process.js';
import type { Dialect } from './routes.js';

export type NatsConfig = NonNullable<Config['nats']>;

/** Where everything of one deployment lives, all named after its stream. */
export function natsNames(cfg: NatsConfig) {
  return {
    stream: cfg.stream,
    subject: `${cfg.stream}.in`,
    deadStream: `${cfg.stream}-deadletter`,
    deadSubject: (upstream: string) => `${cfg.stream}.dead.${upstream}`,
    bucket: `${cfg.stream}-keys`,
  };
}

const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

export const replicasOf = (cfg: NatsConfig): number => cfg.replicas ?? Math.min(3, cfg.servers.length);

/**
 * Connects to the servers given. The proxy waits for a first server and keeps reconnecting for
 * ever, so a NATS restart is survived; a command (`once`) fails at once when none answers.
 */
export async function connectNats(cfg: NatsConfig, log?: Logger, once = false): Promise<NatsConnection> {
  const authenticator = cfg.credentials ? credsAuthenticator(readFileSync(cfg.credentials)) : undefined;
  const nc = await connect({
    servers: cfg.servers,
    name: 'tracebridge',
    ...(once ? { maxReconnectAttempts: 0, timeout: 5_000 } : { maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true }),
    ...(authenticator ? { authenticator } : {}),
  });
  log?.info({ server: nc.getServer() }, 'connected to NATS');
  return nc;
}

/** Limits from the upstreams' queues: the smallest budget of any, since every upstream reads the same stream. */
function requestStream(config: Config, cfg: NatsConfig): Partial<StreamConfig> & { name: string } {
  const n = natsNames(cfg);
  const maxBytes = Math.min(...config.upstreams.map((u) => u.queue.maxBytes));
  const maxAgeMs = Math.min(...config.upstreams.map((u) => u.queue.maxAgeMs));
  return {
    name: n.stream,
    subjects: [n.subject],
    // A request leaves once every upstream's consumer acknowledged it.
    retention: RetentionPolicy.Interest,
    storage: StorageType.File,
    num_replicas: replicasOf(cfg),
    max_bytes: maxBytes,
    // Delivery dead-letters a request at queue.maxAgeMs; the stream's own age limit, an hour on, is only a backstop.
    max_age: nanos(maxAgeMs + 60 * 60 * 1000),
    discard: DiscardPolicy.New,
    // The servers keep every id of the window in memory: at most JetStream's default, 2 minutes.
    duplicate_window: nanos(Math.min(config.dedupWindowMs || DUPLICATE_WINDOW_MS, DUPLICATE_WINDOW_MS)),
    max_msg_size: config.maxBodyBytes + 64 * 1024,
  };
}

/** Dead letters are kept until replayed or purged: limits retention, refusing (not dropping) when full. */
function deadStream(config: Config, cfg: NatsConfig): Partial<StreamConfig> & { name: string } {
  const n = natsNames(cfg);
  return {
    name: n.deadStream,
    subjects: [n.deadSubject('*')],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicasOf(cfg),
    max_bytes: Math.min(...config.upstreams.map((u) => u.queue.maxBytes)),
    discard: DiscardPolicy.New,
  };
}

const LIMITS = ['num_replicas', 'max_bytes', 'max_age', 'duplicate_window', 'max_msg_size'] as const;

/** Creates a stream, or brings an existing one's limits to the configuration's (only when they differ: every replica starting does this). */
async function ensure(jsm: JetStreamManager, sc: Partial<StreamConfig> & { name: string }, log: Logger): Promise<void> {
  let current: StreamConfig;
  try {
    current = (await jsm.streams.info(sc.name)).config;
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.status !== 404) throw err;
    await jsm.streams.add(sc);
    return;
  }
  if (LIMITS.every((k) => sc[k] === undefined || current[k] === sc[k])) return;
  await jsm.streams.update(sc.name, sc).catch((err: Error) => log.warn({ stream: sc.name, err: err.message }, 'cannot update the stream to the configured limits; kept as it is'));
}

export async function ensureStreams(jsm: JetStreamManager, config: Config, log: Logger): Promise<void> {
  const cfg = config.nats!;
  await persist(() => ensure(jsm, requestStream(config, cfg), log), 'the request stream', log);
  await persist(() => ensure(jsm, deadStream(config, cfg), log), 'the dead-letter stream', log);
}

/** How long start-up keeps trying to set up JetStream (a cluster just started may have no leader yet). */
const SETUP_MS = 60_000;

/**
 * Runs a set-up step until it succeeds: replicas starting together race to create the same
 * stream, and a new cluster answers with timeouts until it has elected its leaders.
 */
export async function persist<T>(step: () => Promise<T>, what: string, log: Logger): Promise<T> {
  const deadline = Date.now() + SETUP_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`cannot set up ${what} in JetStream: ${(err as Error).message}`);
      if (attempt > 0) log.warn({ err: (err as Error).message }, `cannot set up ${what} in JetStream yet; trying again`);
      await new Promise((r) => setTimeout(r, 250 + 250 * Math.min(attempt, 7)));
    }
  }
}

const H = {
  dialect: 'Tb-Dialect',
  contentType: 'Tb-Content-Type',
  contentEncoding: 'Tb-Content-Encoding',
  userAgent: 'Tb-User-Agent',
  inbound: 'Tb-Inbound',
  upstreams: 'Tb-Upstreams',
  spans: 'Tb-Spans',
  path: 'Tb-Path',
  hops: 'Tb-Hops',
} as const;

/** A request as a message's headers (its body is the message's data). */
function requestHeaders(input: ProcessInput, spans: number, path: string): MsgHdrs {
  const h = natsHeaders();
  h.set(H.dialect, input.dialect);
  if (input.contentType !== undefined) h.set(H.contentType, input.contentType);
  if (input.contentEncoding !== undefined) h.set(H.contentEncoding, input.contentEncoding);
  if (input.userAgent !== undefined) h.set(H.userAgent, input.userAgent);
  h.set(H.inbound, JSON.stringify(input.inbound));
  h.set(H.upstreams, JSON.stringify(input.upstreams));
  h.set(H.spans, String(spans));
  h.set(H.path, path);
  if (input.hops?.length) h.set(H.hops, input.hops.join(','));
  return h;
}

/** A message of the stream as the request it holds. */
export function requestOf(h: MsgHdrs, data: Uint8Array): { input: ProcessInput; spans: number; path: string } {
  const opt = (k: string) => (h.has(k) ? h.get(k) : undefined);
  return {
    input: {
      raw: data,
      dialect: h.get(H.dialect) as Dialect,
      contentType: opt(H.contentType),
      contentEncoding: opt(H.contentEncoding),
      userAgent: opt(H.userAgent),
      inbound: JSON.parse(h.get(H.inbound)) as ProcessInput['inbound'],
      upstreams: JSON.parse(h.get(H.upstreams)) as string[],
      ...(h.has(H.hops) ? { hops: h.get(H.hops).split(',') } : {}),
    },
    spans: Number(h.get(H.spans)),
    path: h.get(H.path),
  };
}

/** What a publish failure is to the client: the stream full (429, or 507 out of storage), else 503. */
function publishRefusal(err: unknown): HttpError {
  const retry = { 'retry-after': RETRY_AFTER_S };
  const e = err as Error;
  if (err instanceof JetStreamApiError && /maximum (bytes|messages)/i.test(e.message))
    return new HttpError(429, `the shared queue is full (JetStream: ${e.message}); retry later`, retry, 'queue_full');
  if (err instanceof JetStreamApiError && /insufficient resources/i.test(e.message))
    return new HttpError(507, `JetStream has no storage left (${e.message}); retry later`, retry, 'disk_budget');
  return new HttpError(503, `cannot store the batch in JetStream (${e.message}); retry later`, retry, 'nats');
}

/** Publishes requests to the stream; tells /readyz how the last attempts went. */
export class JetStreamLog {
  private readonly subject: string;
  private lastError: string | undefined;
  /** Publishes waiting for their acknowledgement. */
  inFlight = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly config: Config,
  ) {
    this.subject = natsNames(config.nats!).subject;
  }

  /** Why the last publish failed, until one succeeds. */
  get failing(): string | undefined {
    return this.lastError;
  }

  /** Resolves once JetStream stored it (a duplicate of one stored within the window: already stored). */
  async publish(input: ProcessInput, spans: number, meta: { fingerprint?: string; path: string }): Promise<{ duplicate: boolean }> {
    this.inFlight++;
    try {
      const ack = await this.js.publish(this.subject, input.raw, {
        headers: requestHeaders(input, spans, meta.path),
        // admitTimeoutMs (5 s) is under the 10 s an exporter waits: the client hears the 503.
        timeout: this.config.admitTimeoutMs,
        ...(meta.fingerprint ? { msgID: meta.fingerprint } : {}),
      });
      this.lastError = undefined;
      return { duplicate: ack.duplicate };
    } catch (err) {
      this.lastError = (err as Error).message;
      throw publishRefusal(err);
    } finally {
      this.inFlight--;
    }
  }
}
