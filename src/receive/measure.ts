// What a request's body will cost in memory once decoded, charged to the shared budget before it
// is decoded (maxBodyBytesInFlight holds decoded sizes, not only the bytes on the wire): a 23 KB
// gzip of 2M tiny spans is refused in milliseconds instead of taking 20 s and 2 GB.
import type { Config } from '../config/schema.js';
import { decompress } from '../wire/compression.js';
import { DecodeError } from '../wire/errors.js';
import { decodedCost, type DecodeLimits } from '../wire/limits.js';
import type { ProcessInput } from './process.js';
import { chooseFormat } from './routes.js';

export function limitsOf(config: Config): DecodeLimits {
  return { maxSpans: config.maxSpansPerRequest, maxAttributes: config.maxAttributesPerSpan };
}

/**
 * Bytes decoding this request will hold besides the body as received: the inflated body (when
 * compressed) and the decoded spans and attributes, estimated from the body's structure. Throws
 * DecodeError (413, 400, 415) for a body over a limit, or one that alone would exceed the budget.
 */
export function decodedBytes(config: Config, input: ProcessInput): number {
  const body = decompress(input.raw, input.contentEncoding, config.maxBodyBytes);
  const format = chooseFormat(input.dialect, input.contentType, input.userAgent, body);
  const inflated = body === input.raw ? 0 : body.length;
  const cost = inflated + decodedCost(format, body, limitsOf(config), config.maxBodyBytesInFlight - inflated - input.raw.length);
  if (cost + input.raw.length > config.maxBodyBytesInFlight)
    throw new DecodeError(
      `the request would take more than ${Math.floor((config.maxBodyBytesInFlight - input.raw.length) / 2 ** 20)} MiB once decoded: over the budget of all requests in flight (maxBodyBytesInFlight ${Math.floor(config.maxBodyBytesInFlight / 2 ** 20)} MiB); send it in smaller batches`,
      413,
    );
  return cost;
}
