// The wire formats by name: one place that maps a format to its decoder and encoder.
import type { SpanBatch } from '../model/batch.js';
import { DecodeError } from './errors.js';
import { decodedCost, type DecodeLimits } from './limits.js';
import { decodeLangtraceNative, encodeLangtraceNative, encodeLangtraceOtlpJson } from './langtrace.js';
import { decodeOtlpJson, encodeOtlpJson } from './otlp-json.js';
import { decodeOtlpProto, encodeOtlpProto } from './otlp-proto.js';

export const INPUT_FORMATS = ['otlp-proto', 'otlp-json', 'langtrace'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export const OUTPUT_FORMATS = ['otlp-proto', 'otlp-json', 'langtrace', 'langtrace-otlp-json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `limits`: a body of more spans or attributes is refused (413, 400) before it is decoded. */
export function decode(format: InputFormat, body: Uint8Array, limits?: DecodeLimits): SpanBatch {
  switch (format) {
    case 'otlp-proto':
      if (limits) decodedCost(format, body, limits);
      return decodeOtlpProto(body);
    case 'otlp-json':
      return decodeOtlpJson(body, limits);
    case 'langtrace':
      return decodeLangtraceNative(body, limits);
  }
}

/** Encodes a batch. Langtrace's OTLP mode needs one body per resource, so every format gives a list. */
export function encode(format: OutputFormat, batch: SpanBatch): Uint8Array[] {
  switch (format) {
    case 'otlp-proto':
      return [encodeOtlpProto(batch)];
    case 'otlp-json':
      return [Buffer.from(encodeOtlpJson(batch))];
    case 'langtrace':
      return [Buffer.from(encodeLangtraceNative(batch))];
    case 'langtrace-otlp-json':
      return encodeLangtraceOtlpJson(batch).map((s) => Buffer.from(s));
  }
}

/** Guesses the format of a file or body from its first bytes: `[` native, `{` OTLP/JSON, else protobuf. */
export function sniff(body: Uint8Array): InputFormat {
  for (const b of body) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0xef || b === 0xbb || b === 0xbf) continue;
    if (b === 0x5b) return 'langtrace';
    if (b === 0x7b) return 'otlp-json';
    return 'otlp-proto';
  }
  return 'otlp-proto';
}

export function parseFormat<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new DecodeError(`unknown ${what} "${value}" (expected one of: ${allowed.join(', ')})`);
}
