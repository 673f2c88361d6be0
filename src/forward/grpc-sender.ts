// OTLP/gRPC to an upstream: TraceService/Export over one grpc-js channel, the same retry loop as
// OTLP/HTTP, with headers as metadata, the upstream's TLS settings, and its status codes read as
// the OTLP spec says (which are retried, which are final, RetryInfo's delay, partial success).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { UpstreamConfig } from '../config/schema.js';
import { RpcStatus } from '../wire/proto.js';
import { partialSuccessOf } from '../wire/export-response.js';
import { EXPORT_PATH } from '../wire/otlp-grpc.js';
import { VERSION } from '../version.js';
import { retryingSender, type Attempt, type Sender, type Transport } from './sender.js';

const RetryInfo = RpcStatus.root.lookupType('google.rpc.RetryInfo');
const Status = grpc.status;

/** Retried as OTLP says; RESOURCE_EXHAUSTED only when the upstream says when to come back (RetryInfo). */
const RETRYABLE = new Set([Status.CANCELLED, Status.DEADLINE_EXCEEDED, Status.ABORTED, Status.OUT_OF_RANGE, Status.UNAVAILABLE, Status.DATA_LOSS]);

/** A code's HTTP equivalent (as grpc-gateway maps them): what dead letters, metrics and key verdicts read. */
const HTTP_OF: Partial<Record<grpc.status, number>> = {
  [Status.CANCELLED]: 499,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.UNAVAILABLE]: 503,
  [Status.UNAUTHENTICATED]: 401,
};

/** Headers that describe an HTTP body or connection: gRPC sets its own, they are no metadata. */
const NOT_METADATA = new Set(['content-type', 'content-encoding', 'content-length', 'user-agent', 'host', 'connection', 'te', 'transfer-encoding']);

/** The delay a google.rpc.Status detail (RetryInfo) asks for, in milliseconds. */
function retryDelayOf(md: grpc.Metadata): number | undefined {
  const bin = md.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(bin)) return undefined;
  try {
    const status = RpcStatus.decode(bin) as unknown as { details?: Array<{ type_url?: string; value?: Uint8Array }> };
    const info = status.details?.find((d) => d.type_url?.endsWith('/google.rpc.RetryInfo'));
    if (!info?.value) return undefined;
    const delay = (RetryInfo.toObject(RetryInfo.decode(info.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } }).retryDelay;
    return delay ? (delay.seconds ?? 0) * 1000 + Math.round((delay.nanos ?? 0) / 1e6) : undefined;
  } catch {
    return undefined; // details that do not decode: no delay asked for
  }
}

/** What the retry loop reads of a call that failed. */
function failed(err: grpc.ServiceError): Attempt {
  const name = Status[err.code] ?? String(err.code);
  const retryAfterMs = retryDelayOf(err.metadata ?? new grpc.Metadata());
  const retry = RETRYABLE.has(err.code) || (err.code === Status.RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
  const text = `gRPC ${name}: ${err.details ?? err.message}`.slice(0, 2000);
  return { verdict: retry ? 'retry' : 'permanent', status: HTTP_OF[err.code] ?? 500, text, reason: `gRPC ${name}`, retryAfterMs };
}

function read(u: UpstreamConfig, field: 'ca' | 'cert' | 'key'): Buffer | null {
  const path = u.tls?.[field];
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`upstream "${u.name}": cannot read tls.${field} (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** grpc:// and http:// are plaintext, grpcs:// and https:// TLS with the upstream's tls settings (files read now). */
function credentialsOf(u: UpstreamConfig, url: URL): grpc.ChannelCredentials {
  if (url.protocol === 'grpc:' || url.protocol === 'http:') return grpc.credentials.createInsecure();
  const skip = u.tls?.insecureSkipVerify === true;
  return grpc.credentials.createSsl(read(u, 'ca'), read(u, 'key'), read(u, 'cert'), skip ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {});
}

const isLoopback = (host: string) => host === 'localhost' || /^127\./.test(host) || host === '[::1]' || host === '::1';

function channelOptions(u: UpstreamConfig, url: URL): grpc.ChannelOptions {
  return {
    'grpc.primary_user_agent': `tracebridge/${VERSION}`,
    // The retry loop is tracebridge's, with its budget: grpc-js retrying too would multiply it.
    'grpc.enable_retries': 0,
    'grpc.max_send_message_length': -1,
    'grpc.default_compression_algorithm': u.gzip === false ? grpc.compressionAlgorithms.identity : grpc.compressionAlgorithms.gzip,
    ...(u.tls?.serverName ? { 'grpc.ssl_target_name_override': u.tls.serverName, 'grpc.default_authority': u.tls.serverName } : {}),
    // grpc-js reads grpc_proxy / https_proxy / no_proxy itself; loopback is never proxied, as over HTTP.
    ...(isLoopback(url.hostname) ? { 'grpc.enable_http_proxy': 0 } : {}),
  };
}

/** The request's headers as metadata; a value gRPC refuses is an error here, never worth retrying. */
function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) if (!NOT_METADATA.has(k.toLowerCase())) md.set(k.toLowerCase(), v);
  return md;
}

function grpcTransport(u: UpstreamConfig): Transport {
  const url = new URL(u.url!);
  const port = url.port || (url.protocol === 'grpcs:' || url.protocol === 'https:' ? '443' : '4317');
  const client = new grpc.Client(`${url.hostname}:${port}`, credentialsOf(u, url), channelOptions(u, url));
  const calls = new Set<grpc.ClientUnaryCall>();
  return {
    close: () => {
      for (const c of calls) c.cancel();
      client.close();
    },
    attempt: (body, headers, stop) =>
      new Promise<Attempt>((resolve) => {
        let md: grpc.Metadata;
        let message: Buffer;
        try {
          md = metadataOf(headers);
          // A copy queued gzipped (as OTLP/HTTP keeps it) is sent plain: grpc-js compresses the message.
          message = headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
        } catch (err) {
          // The same request would fail the same way every time.
          return resolve({ verdict: 'permanent', status: 0, text: (err as Error).message, reason: (err as Error).message });
        }
        if (stop.aborted) return resolve({ verdict: 'retry', status: 0, text: 'stopped', reason: 'stopped' });
        const call = client.makeUnaryRequest(
          EXPORT_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          message,
          md,
          { deadline: Date.now() + u.timeoutMs },
          (err, answer) => {
            calls.delete(call);
            if (err) return resolve(failed(err));
            resolve({ verdict: 'ok', status: 200, text: '', reason: 'OK', partial: answer ? partialSuccessOf('application/x-protobuf', answer) : undefined });
          },
        );
        calls.add(call);
      }),
  };
}

export function grpcSender(u: UpstreamConfig): Sender {
  return retryingSender(u, grpcTransport(u));
}
