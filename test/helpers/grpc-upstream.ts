// A loopback OTLP/gRPC backend (grpc-js): TraceService/Export, each request decoded and kept with
// its metadata; `respond` may fail a call with a status code (and RetryInfo) or answer a partial success.
import * as grpc from '@grpc/grpc-js';
import { decodeOtlpProto, encodeExportResponseProto } from '../../src/wire/otlp-proto.js';
import { encodeRetryStatus } from '../../src/wire/proto.js';
import { traceService } from '../../src/wire/otlp-grpc.js';
import type { SpanBatch } from '../../src/model/batch.js';
import { waitFor } from './wait.js';

interface Received {
  metadata: Record<string, string>;
  batch: SpanBatch;
  spans: number;
}

/** A failure as the call's status, a partial success in the answer, or no answer at all ('hang'). */
type Answer = { code: grpc.status; details?: string; retryDelayS?: number } | { rejected: number; message: string } | 'hang' | undefined;

interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** Asks for a client certificate signed by this CA. */
  clientCa?: Buffer;
}

function plainMetadata(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap())) if (typeof v === 'string') out[k] = v;
  return out;
}

export async function grpcUpstream(respond: (r: Received, n: number) => Answer = () => undefined, tls?: TlsFiles) {
  const received: Received[] = [];
  let calls = 0;
  const server = new grpc.Server();
  server.addService(traceService, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const batch = decodeOtlpProto(call.request);
      const r: Received = { metadata: plainMetadata(call.metadata), batch, spans: batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)).length };
      const a = respond(r, ++calls);
      if (a === 'hang') return;
      if (a && 'code' in a) {
        const md = new grpc.Metadata();
        if (a.retryDelayS !== undefined) md.set('grpc-status-details-bin', Buffer.from(encodeRetryStatus(a.code, a.details ?? '', a.retryDelayS)));
        return callback({ code: a.code, details: a.details ?? grpc.status[a.code], metadata: md });
      }
      received.push(r);
      callback(null, Buffer.from(encodeExportResponseProto(a?.rejected ?? 0, a?.message ?? '')));
    },
  });
  const creds = tls
    ? grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined)
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    port,
    received,
    /** Calls answered, failed ones too. */
    calls: () => calls,
    spans: () => received.reduce((n, r) => n + r.spans, 0),
    waitForSpans: (n: number, ms = 20_000) => waitFor(() => received.reduce((s, r) => s + r.spans, 0) >= n, ms, `${n} spans at the gRPC upstream`),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}
