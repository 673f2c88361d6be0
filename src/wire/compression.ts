// Content-Encoding handling with a cap on the inflated size, so a gzip bomb costs nothing.
import { brotliDecompressSync, constants, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { DecodeError } from './errors.js';

/** 20 MiB, the OpenTelemetry Collector's default cap on a decompressed request. */
export const DEFAULT_MAX_BODY = 20 * 1024 * 1024;

export function decompress(body: Uint8Array, encoding: string | undefined, maxBytes = DEFAULT_MAX_BODY): Uint8Array {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') {
    if (body.length > maxBytes) throw tooLarge(maxBytes);
    return body;
  }
  const opts = { maxOutputLength: maxBytes };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, opts);
    if (enc === 'deflate') {
      // HTTP "deflate" means zlib-wrapped, but raw deflate is common in the wild.
      try {
        return inflateSync(body, opts);
      } catch (err) {
        if (isTooLarge(err)) throw err;
        return inflateRawSync(body, opts);
      }
    }
  } catch (err) {
    if (isTooLarge(err)) throw tooLarge(maxBytes);
    throw new DecodeError(`body is not valid ${enc} data: ${(err as Error).message}`);
  }
  throw new DecodeError(`unsupported Content-Encoding "${encoding}" (use gzip, deflate or none)`, 415);
}

function isTooLarge(err: unknown): boolean {
  return err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

function tooLarge(max: number): DecodeError {
  return new DecodeError(`request body is larger than ${max} bytes once decompressed`, 413);
}

/** gzip for upstreams: level 1 costs a fraction of the CPU of the default for most of the saving. */
export function gzip(body: Uint8Array | string, level = 1): Buffer {
  return gzipSync(body, { level });
}

/**
 * An upstream's answer, already cut to its first bytes, inflated to at most `maxBytes`: a cut
 * stream is read as far as it goes; undefined when it is not valid data or would inflate past
 * the bound (inflating stops there).
 */
export function inflateAnswer(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer | undefined {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  const opts = { maxOutputLength: maxBytes, finishFlush: constants.Z_SYNC_FLUSH };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, opts);
    if (enc === 'deflate') return inflateSync(body, opts);
    if (enc === 'br') return brotliDecompressSync(body, { maxOutputLength: maxBytes, finishFlush: constants.BROTLI_OPERATION_FLUSH });
  } catch {
    return undefined;
  }
  return undefined;
}
