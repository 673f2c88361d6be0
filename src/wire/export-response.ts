// An upstream's ExportTraceServiceResponse (protobuf or JSON): the partial success it may carry,
// spans the upstream dropped although it answered 2xx. Anything unreadable is no partial success.
import { ExportTraceServiceResponse } from './proto.js';

export interface PartialSuccess {
  rejected: number;
  message: string;
}

const MESSAGE_CHARS = 500;

function fromFields(rejected: unknown, message: unknown): PartialSuccess | undefined {
  const n = Number(rejected ?? 0);
  if (!Number.isSafeInteger(n) || n <= 0) return undefined;
  return { rejected: n, message: typeof message === 'string' ? message.slice(0, MESSAGE_CHARS) : '' };
}

function fromJson(body: Buffer): PartialSuccess | undefined {
  const doc = JSON.parse(body.toString('utf8')) as Record<string, Record<string, unknown> | undefined> | null;
  // proto3 JSON is lowerCamelCase; the Collector also accepts the proto's own names.
  const p = doc?.partialSuccess ?? doc?.partial_success;
  if (!p || typeof p !== 'object') return undefined;
  return fromFields(p.rejectedSpans ?? p.rejected_spans, p.errorMessage ?? p.error_message);
}

function fromProto(body: Buffer): PartialSuccess | undefined {
  const msg = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(body), { longs: String }) as {
    partialSuccess?: { rejectedSpans?: string; errorMessage?: string };
  };
  return fromFields(msg.partialSuccess?.rejectedSpans, msg.partialSuccess?.errorMessage);
}

/** The partial success in a 2xx answer's body, read by its content type (JSON when it looks like JSON). */
export function partialSuccessOf(contentType: string | undefined, body: Buffer): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  const type = (contentType ?? '').toLowerCase();
  try {
    if (type.includes('json') || (!type.includes('protobuf') && body[0] === 0x7b)) return fromJson(body);
    if (type.includes('protobuf')) return fromProto(body);
  } catch {
    // Not an ExportTraceServiceResponse: the 2xx alone says it was delivered.
  }
  return undefined;
}
