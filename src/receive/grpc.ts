// The OTLP/gRPC receiver: opentelemetry.proto.collector.trace.v1.TraceService/Export on its own
// port (4317), feeding the same ingest path as OTLP/HTTP: the same credentials (from metadata),
// admission, dedup and durability. Status codes follow the OTLP spec.
import * as grpc from '@grpc/grpc-js';
import type { IncomingHttpHeaders } from 'node:http';
import { encodeExportResponseProto } from '../wire/otlp-proto.js';
import { encodeRetryStatus } from '../wire/proto.js';
import { EXPORT_PATH, traceService } from '../wire/otlp-grpc.js';
import { budgetInterceptor } from './grpc-budget.js';
import { RETRY_AFTER_S } from './admission.js';
import { peerAddress } from './connections.js';

/** What the ingest path answers: spans dropped for lack of ids, or an error with an HTTP status. */
type Ingest = (headers: IncomingHttpHeaders, raw: Buffer, path: string, client: string) => Promise<{ rejected: number }>;

/** An HTTP status → the gRPC code OTLP gives it; retryable ones get RetryInfo. */
function codeOf(status: number): grpc.status {
  if (status === 401) return grpc.status.UNAUTHENTICATED;
  if (status === 403) return grpc.status.PERMISSION_DENIED;
  if (status === 429 || status === 507) return grpc.status.RESOURCE_EXHAUSTED;
  if (status === 503) return grpc.status.UNAVAILABLE;
  // A loop (x-tracebridge-hop): final, the same request would come back the same way.
  if (status === 508) return grpc.status.FAILED_PRECONDITION;
  if (status >= 400 && status < 500) return grpc.status.INVALID_ARGUMENT;
  return grpc.status.INTERNAL;
}

/** gRPC metadata as the HTTP headers the ingest path reads credentials from. */
function headersOf(md: grpc.Metadata): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = { 'content-type': 'application/x-protobuf' };
  for (const [k, v] of Object.entries(md.getMap())) if (typeof v === 'string') h[k] = v;
  return h;
}

interface GrpcReceiver {
  /** Plain HTTP/2 unless given credentials (receiver TLS: tls.ts). */
  listen(host: string, port: number, credentials?: grpc.ServerCredentials): Promise<number>;
  close(): Promise<void>;
}

/** How a receiver is bounded: the largest message, and the budget it is charged to before it is read. */
interface GrpcLimits {
  maxMessageBytes: number;
  budget: { take(n: number): boolean; give(n: number): void };
}

/** Concurrent calls on one connection at most (each also needs room in the budget). */
const MAX_STREAMS = 16;

export function grpcReceiver(ingest: Ingest, limits: GrpcLimits, onError: (err: Error) => void): GrpcReceiver {
  // Messages arrive as bytes (grpc-js inflates gzip): decoded by the same code as OTLP/HTTP protobuf.
  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_concurrent_streams': MAX_STREAMS,
    interceptors: [budgetInterceptor(limits.budget, limits.maxMessageBytes, Number(RETRY_AFTER_S))],
  });
  server.addService(traceService, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
      ingest(headersOf(call.metadata), call.request, EXPORT_PATH, peerAddress(call.getPeer())).then(
        ({ rejected }) => callback(null, encodeExportResponseProto(rejected, rejected ? `${rejected} spans had no trace or span id` : '')),
        (err: Error & { status?: number; headers?: Record<string, string> }) => {
          const status = err.status ?? 500;
          if (status >= 500 && status !== 503 && status !== 507 && status !== 508) onError(err);
          const code = codeOf(status);
          const metadata = new grpc.Metadata();
          const retryAfter = Number(err.headers?.['retry-after']);
          if (retryAfter > 0) metadata.set('grpc-status-details-bin', Buffer.from(encodeRetryStatus(code, err.message, retryAfter)));
          callback({ code, details: status === 500 ? 'internal error' : err.message, metadata });
        },
      );
    },
  });
  return {
    listen: (host, port, credentials = grpc.ServerCredentials.createInsecure()) =>
      new Promise((resolve, reject) => server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)))),
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still open after the proxy's own grace are cut.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
