// The one validated config object, and its schema. Defaults live here, nowhere else.
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { PROFILES, type Profile } from '../conventions/mappings.js';
import { DEFAULT_MAX_BODY } from '../wire/compression.js';
import { compileRules } from '../conventions/redact.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/, 'expected HOST:PORT, e.g. 0.0.0.0:4318 or [::1]:4318')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    const host = s.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(s.slice(i + 1));
    if (port > 65535) throw new Error('port out of range');
    return { host, port };
  });

/** One check, so a bad URL is one problem, not two. */
const url = z.string().refine((u) => /^https?:\/\/[^/\s]/i.test(u) && URL.canParse(u), 'expected an http(s) URL, e.g. https://trace.wandb.ai');
/** An upstream's own URL: grpc:// (plaintext) and grpcs:// (TLS) too, for an OTLP/gRPC upstream. */
const upstreamUrl = z
  .string()
  .refine((u) => /^(https?|grpcs?):\/\/[^/\s]/i.test(u) && URL.canParse(u), 'expected an http(s) URL, e.g. https://trace.wandb.ai (or grpc(s)://HOST:PORT for an otlp upstream)');

/** Whether an upstream is sent to over OTLP/gRPC: its protocol, or a grpc(s):// URL. */
export function isGrpc(u: { protocol?: string; url?: string }): boolean {
  return u.protocol === 'grpc' || /^grpcs?:/i.test(u.url ?? '');
}

const retry = z
  .object({
    initialMs: z.number().int().positive().default(1000),
    multiplier: z.number().min(1).default(1.5),
    randomization: z.number().min(0).max(1).default(0.5),
    maxIntervalMs: z.number().int().positive().default(30_000),
    maxElapsedMs: z.number().int().positive().default(300_000),
  })
  .strict()
  .default({});

/** Backends' names for the profile each reads best. */
const PROFILE_ALIASES = { phoenix: 'openinference', langfuse: 'otel-genai-additive' } as const satisfies Record<string, Profile>;

/** A Weave project: ENTITY/PROJECT, one slash, no blanks. */
export const WEAVE_PROJECT = /^[^/\s]+\/[^/\s]+$/;

const auth = z
  .object({
    /**
     * auto: with one upstream, the inbound key passes through (else `key`); with several, `key` only.
     * passthrough: always the inbound key, in this upstream's scheme. static: always `key`.
     * map: `keys` maps inbound keys to this upstream's key (and Weave project).
     * none: send no credential.
     */
    mode: z.enum(['auto', 'passthrough', 'static', 'map', 'none']).default('auto'),
    key: z.string().min(1).optional(),
    keys: z.record(z.object({ key: z.string().min(1), project: z.string().regex(WEAVE_PROJECT, 'expected ENTITY/PROJECT').optional() }).strict()).optional(),
    /** otlp upstreams: the header the key goes in, as "Bearer KEY" for authorization. */
    header: z.string().default('authorization'),
  })
  .strict()
  .default({});

/** TLS to an upstream: PEM files, read at start. */
const upstreamTls = z
  .object({
    /** The CA bundle the upstream's certificate must chain to, instead of Node's built-in roots. */
    ca: z.string().min(1).optional(),
    /** A client certificate and its key, for an upstream that asks for one (mTLS). */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** The name the certificate is checked against (and sent as SNI), when not the URL's host. */
    serverName: z.string().min(1).optional(),
    /** Accepts any certificate: for tests only, it lets anyone on the path read the keys. */
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict()
  .refine((t) => !t.cert === !t.key, 'tls.cert and tls.key go together')
  .superRefine((t, ctx) => {
    for (const field of ['ca', 'cert', 'key'] as const) {
      const path = t[field];
      if (path && !readableFile(path)) ctx.addIssue({ code: 'custom', path: [field], message: `cannot read the file ${path}` });
    }
  })
  .optional();

function readableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export const upstreamSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
    type: z.enum(['weave', 'langtrace', 'otlp', 'sink']),
    url: upstreamUrl.optional(),
    /** otlp only: OTLP/gRPC (TraceService/Export) instead of OTLP/HTTP; a grpc(s):// URL says so too. */
    protocol: z.enum(['http/protobuf', 'grpc']).optional(),
    /** otlp only: the exact traces URL, used as given (`url` is a base: `/v1/traces` is added unless its path ends so). */
    tracesUrl: url.optional(),
    /**
     * The convention profile spans are rewritten to; "none" forwards attributes unchanged. Backend
     * names are accepted for the profile they read: phoenix (OpenInference), langfuse (OTel GenAI).
     */
    convention: z
      .enum([...PROFILES, 'none', ...(Object.keys(PROFILE_ALIASES) as Array<keyof typeof PROFILE_ALIASES>)])
      .transform((c) => (c in PROFILE_ALIASES ? PROFILE_ALIASES[c as keyof typeof PROFILE_ALIASES] : (c as Profile | 'none')))
      .optional(),
    /** langtrace only: its native span array (best fidelity) or its OTLP/JSON mode. */
    format: z.enum(['native', 'otlp-json']).default('native'),
    /** weave only: ENTITY/PROJECT. */
    project: z.string().regex(WEAVE_PROJECT, 'expected ENTITY/PROJECT').optional(),
    gzip: z.boolean().optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    headers: z.record(z.string()).default({}),
    tls: upstreamTls,
    /** Small queued copies sent together, as the Collector's batch processor does: up to maxSpans, waiting up to timeoutMs for more. */
    batch: z
      .object({
        maxSpans: z.number().int().positive().default(512),
        timeoutMs: z.number().int().nonnegative().default(200),
      })
      .strict()
      .default({}),
    /** An HTTP proxy (CONNECT) for this upstream; without it HTTPS_PROXY / HTTP_PROXY and NO_PROXY apply. */
    proxyUrl: url.optional(),
    /** What this upstream never sees: attributes dropped or hashed, patterns redacted inside every value (message texts, tool arguments and results). */
    redact: z
      .object({
        drop: z.array(z.string().min(1)).optional(),
        hash: z.array(z.string().min(1)).optional(),
        patterns: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .superRefine((r, ctx) => {
        try {
          compileRules(r);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['patterns'], message: (err as Error).message });
        }
      })
      .optional(),
    auth,
    retry,
    queue: z
      .object({
        maxBatches: z.number().int().positive().default(1000),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(512 * 1024 * 1024),
        /** Batches older than this go to the dead-letter folder instead of being sent. */
        maxAgeMs: z
          .number()
          .int()
          .positive()
          .default(24 * 60 * 60 * 1000),
        concurrency: z.number().int().positive().max(64).default(4),
        /**
         * Bytes of this upstream's recent batches kept in memory: sent without reading back, and
         * (ack: queue) not written to the queue at all while the upstream keeps up (0: always written).
         */
        memoryBytes: z
          .number()
          .int()
          .nonnegative()
          .default(4 * 1024 * 1024),
        /**
         * When this queue (or its disk budget) is full: `spill` keeps the copy in the dead-letter
         * folder and answers for the other upstreams; `refuse` answers 429. Default: spill with
         * several upstreams, refuse with one.
         */
        whenFull: z.enum(['spill', 'refuse']).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.type !== 'sink' && !u.url && !u.tracesUrl) ctx.addIssue({ code: 'custom', message: `upstream "${u.name}" (${u.type}) needs a url` });
    if (u.tracesUrl && u.type !== 'otlp') ctx.addIssue({ code: 'custom', path: ['tracesUrl'], message: `only an otlp upstream takes tracesUrl (use url)` });
    grpcProblems(u, ctx);
  });

function grpcProblems(u: { type: string; url?: string; protocol?: string; tracesUrl?: string; proxyUrl?: string }, ctx: z.RefinementCtx): void {
  const grpcUrl = /^grpcs?:/i.test(u.url ?? '');
  if (!isGrpc(u)) return;
  if (u.type !== 'otlp') ctx.addIssue({ code: 'custom', path: [grpcUrl ? 'url' : 'protocol'], message: `only an otlp upstream speaks OTLP/gRPC` });
  else if (grpcUrl && u.protocol === 'http/protobuf')
    ctx.addIssue({ code: 'custom', path: ['protocol'], message: `a grpc(s):// URL is OTLP/gRPC: use http(s):// for http/protobuf` });
  else if (u.tracesUrl) ctx.addIssue({ code: 'custom', path: ['tracesUrl'], message: `an OTLP/gRPC upstream takes url (grpc://HOST:PORT), not tracesUrl` });
  else if (u.proxyUrl) ctx.addIssue({ code: 'custom', path: ['proxyUrl'], message: `an OTLP/gRPC upstream takes no proxyUrl (grpc_proxy, HTTPS_PROXY and NO_PROXY apply)` });
}

export const configSchema = z
  .object({
    /** Loopback unless told otherwise, as the Collector (the container images set 0.0.0.0). */
    listen: hostPort.default('127.0.0.1:4318'),
    /** OTLP/gRPC beside HTTP (the OTel default port 4317, on listen's host unless given); "off" for none. */
    grpcListen: z.union([z.literal('off'), hostPort]).default('127.0.0.1:4317'),
    /** TLS on both receivers (HTTPS and gRPC over TLS); with clientCa, mTLS. PEM files, read at start and on SIGHUP. */
    tls: z
      .object({
        cert: z.string().min(1),
        key: z.string().min(1),
        /** Clients must show a certificate this CA (a PEM bundle) signed; the others are refused in the handshake. */
        clientCa: z.string().min(1).optional(),
        /** Besides SIGHUP, the files are looked at this often and read again once they change (the Collector's reload_interval). */
        reloadIntervalMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** How long a request waits for the backlog of answered requests past saturation before a 503. */
    admitTimeoutMs: z.number().int().positive().default(5_000),
    dataDir: z.string().min(1).default('./tracebridge-data'),
    /** This instance's id in the hop header (x-tracebridge-hop) it sends; a random one per start when not given. */
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _, . and -, at most 64')
      .optional(),
    /** The local sink's files (no upstream configured): each is rotated to one `.1` past this size. */
    sinkMaxBytes: z
      .number()
      .int()
      .positive()
      .default(100 * 1024 * 1024),
    maxBodyBytes: z.number().int().positive().default(DEFAULT_MAX_BODY),
    /** Bytes of request bodies being read or waiting, across all requests; past it new ones get 503. */
    maxBodyBytesInFlight: z
      .number()
      .int()
      .positive()
      .default(3 * DEFAULT_MAX_BODY),
    /** Open client connections at most; more are refused by the listener. */
    maxConnections: z.number().int().positive().default(1024),
    /** A request must arrive whole (headers and body) within this time, or its connection is closed. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** A request head must arrive whole within this time of the connection opening (or of its first byte on a reused one), or the connection is closed. */
    headersTimeoutMs: z.number().int().positive().default(10_000),
    /** A keep-alive connection with no request for this long is closed. */
    idleTimeoutMs: z.number().int().positive().default(5_000),
    /** Open connections from one client address at most (0: no cap); past it new ones from that address are closed at once. */
    maxConnectionsPerClient: z.number().int().nonnegative().default(64),
    /** Caller's keys no upstream has answered yet, per client address a minute; past it 429 before any upstream is asked. */
    unprovenKeysPerMinute: z.number().int().positive().default(30),
    /** Spans in one request at most; past it 413 (found before the request is decoded). */
    maxSpansPerRequest: z.number().int().positive().default(100_000),
    /** Attributes on one span (event, link, resource, scope) at most; past it 400. */
    maxAttributesPerSpan: z.number().int().positive().default(2_048),
    /** OTLP/gRPC: a message's size at most (gRPC's own default, 4 MiB); each is charged maxBodyBytesInFlight before it is read. */
    grpcMaxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** /metrics asks for an inbound key like every other path (when keys are configured); false opens it to scrapers. */
    metricsRequireKey: z.boolean().default(true),
    /**
     * queue: answer once the request is checked and fsynced in the journal; translation and each
     * upstream's queue follow (at-least-once, survives crashes).
     * upstream: answer once every upstream has answered (end-to-end backpressure, nothing on disk).
     */
    ack: z.enum(['queue', 'upstream']).default('queue'),
    /** ack: upstream: how long a client waits for the upstreams before a 503. */
    ackTimeoutMs: z.number().int().positive().default(15_000),
    /** A client's retry of the same request within this window is not queued twice. */
    dedupWindowMs: z
      .number()
      .int()
      .nonnegative()
      .default(10 * 60 * 1000),
    /** Worker threads for decoding and translation (0: in the request thread). */
    workers: z.number().int().min(0).max(64).default(0),
    /** Keys clients must present to the proxy itself (none: open). */
    inboundKeys: z.array(z.string().min(1)).default([]),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** json: one JSON object a line (for log pipelines); text: one readable line per event. */
    logFormat: z.enum(['json', 'text']).default('json'),
    upstreams: z.array(upstreamSchema).default([]),
    /**
     * NATS JetStream as the durable layer (`--nats`): requests go to a replicated stream shared by
     * every replica, each upstream's delivery is a durable consumer on it. Absent: the local journal.
     */
    nats: z
      .object({
        servers: z.array(z.string().regex(/^((nats|tls):\/\/)?[^/\s]+$/i, 'expected nats://HOST:PORT')).min(1),
        /** The stream's name; the dead-letter stream and the key-verdict bucket are named after it. */
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _')
          .default('tracebridge'),
        /** Copies JetStream keeps of each request (default: the smaller of 3 and the servers given). */
        replicas: z.number().int().min(1).max(5).optional(),
        /** A NATS credentials file (JWT and NKey seed), read at start. */
        credentials: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    mappings: z
      .object({
        read: z.record(z.record(z.union([z.string(), z.array(z.string()), z.null()]))).optional(),
        write: z.record(z.record(z.union([z.array(z.string()), z.null()]))).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = c.upstreams.map((u) => u.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `two upstreams are named "${dup}"` });
    if (c.maxBodyBytesInFlight < c.maxBodyBytes)
      ctx.addIssue({
        code: 'custom',
        message: `maxBodyBytesInFlight (${c.maxBodyBytesInFlight}) is below maxBodyBytes (${c.maxBodyBytes}): no request of the largest size could be read`,
      });
  });

export type Config = z.infer<typeof configSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type RetryConfig = UpstreamConfig['retry'];
