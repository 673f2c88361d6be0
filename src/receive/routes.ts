// Which decoder a request gets: by path, Content-Type and User-Agent (Langtrace's rule).
import { DecodeError } from '../wire/errors.js';
import type { InputFormat } from '../wire/formats.js';

const OTLP_PATHS = new Set(['/v1/traces', '/otel/v1/traces', '/agents/otel/v1/traces', '/traces/otel/v1/traces']);
const LANGTRACE_PATH = '/api/trace';

export type Dialect = 'otlp' | 'langtrace';

export function dialectOf(path: string): Dialect | undefined {
  if (OTLP_PATHS.has(path)) return 'otlp';
  if (path === LANGTRACE_PATH) return 'langtrace';
  return undefined;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function chooseFormat(dialect: Dialect, contentType: string | undefined, userAgent: string | undefined, body: Uint8Array): InputFormat {
  const ct = mediaType(contentType);
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'otlp-proto';
  if (dialect === 'otlp') {
    if (ct === 'application/json') return 'otlp-json';
    throw new DecodeError(`unsupported Content-Type "${ct || '(none)'}": send application/x-protobuf or application/json`, 415);
  }
  // Langtrace: an OpenTelemetry User-Agent means OTLP/JSON, anything else its native array. We also
  // take whichever JSON shape actually arrived, since the body says unambiguously which it is.
  if (ct !== '' && ct !== 'application/json' && ct !== 'text/plain')
    throw new DecodeError(`unsupported Content-Type "${ct}": send application/json (or application/x-protobuf)`, 415);
  const ua = (userAgent ?? '').toLowerCase();
  const first = body.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x5b) return 'langtrace';
  if (first === 0x7b) return 'otlp-json';
  return ua.includes('opentelemetry') || ua.includes('otel-otlp') ? 'otlp-json' : 'langtrace';
}
