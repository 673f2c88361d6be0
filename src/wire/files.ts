// Trace files as users export them: one OTLP protobuf or JSON document, JSON lines of either
// JSON shape, or a Langtrace native array; gzipped or not.
import type { SpanBatch } from '../model/batch.js';
import { decompress } from './compression.js';
import { DecodeError } from './errors.js';
import { decode, sniff, type InputFormat } from './formats.js';

/** Files are trusted more than network bodies, but a cap still stops a runaway inflate. */
const FILE_LIMIT = 1024 * 1024 * 1024;

export function decodeFile(raw: Uint8Array, from?: InputFormat): SpanBatch[] {
  let body = raw;
  if (body.length > 2 && body[0] === 0x1f && body[1] === 0x8b) body = decompress(body, 'gzip', FILE_LIMIT);
  const format = from ?? sniff(body);
  if (format === 'otlp-proto') return [decode(format, body)];
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // JSON lines: several documents, one per line (what the local sink and many exporters write).
  if (lines.length > 1 && lines.every((l) => /^\s*[[{]/.test(l))) {
    try {
      lines.forEach((l) => JSON.parse(l));
    } catch {
      return [decode(format, body)]; // one pretty-printed document
    }
    return lines.map((l, i) => {
      try {
        return decode(from ?? sniff(Buffer.from(l)), Buffer.from(l));
      } catch (err) {
        throw new DecodeError(`line ${i + 1}: ${(err as Error).message}`);
      }
    });
  }
  return [decode(format, body)];
}
