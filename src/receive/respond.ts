// Answers in the shape each client expects: OTLP's ExportTraceServiceResponse / google.rpc.Status
// in the request's content type, or Langtrace's JSON on /api/trace.
import type { ServerResponse } from 'node:http';
import { encodeExportResponseProto, encodeStatusProto } from '../wire/otlp-proto.js';
import type { Dialect } from './routes.js';

/** HTTP status → google.rpc.Code. */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

/** The plain success answer, encoded once. */
const OK_PROTO = Buffer.from(encodeExportResponseProto());

export function sendSuccess(res: ServerResponse, dialect: Dialect, proto: boolean, rejected = 0, errorMessage = ''): void {
  if (dialect === 'langtrace') {
    const body: Record<string, unknown> = { message: 'Traces added successfully' };
    if (rejected) Object.assign(body, { rejectedSpans: rejected, error: errorMessage });
    return json(res, 200, body);
  }
  if (proto) {
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end(rejected || errorMessage ? encodeExportResponseProto(rejected, errorMessage) : OK_PROTO);
    return;
  }
  json(res, 200, rejected ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage } } : {});
}

/** An answer not yet written: its status, headers (with its length) and body. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A refusal in the shape the client expects: google.rpc.Status (protobuf or JSON) for OTLP, `{ error }` otherwise. */
export function errorAnswer(dialect: Dialect | undefined, proto: boolean, status: number, message: string, headers: Record<string, string> = {}): Answer {
  if (dialect === 'otlp' && proto) return answer(status, 'application/x-protobuf', encodeStatusProto(GRPC_CODE[status] ?? 2, message), headers);
  const body = dialect === 'otlp' ? { code: GRPC_CODE[status] ?? 2, message } : { error: message };
  return answer(status, 'application/json', Buffer.from(JSON.stringify(body)), headers);
}

function answer(status: number, type: string, body: Uint8Array, headers: Record<string, string>): Answer {
  return { status, headers: { 'content-type': type, ...headers, 'content-length': String(body.byteLength) }, body };
}

export function sendError(res: ServerResponse, dialect: Dialect | undefined, proto: boolean, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const a = errorAnswer(dialect, proto, status, message, headers);
  res.writeHead(a.status, a.headers);
  res.end(a.body);
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
