// The CPU-bound part of a trace request, as one pure function: decompress, decode, and prepare
// what each upstream receives. Runs in the request thread or on a worker thread.
import type { Config } from '../config/schema.js';
import type { InboundCredentials } from '../auth/inbound.js';
import { resolveCredentials } from '../auth/strategies.js';
import type { Mappings } from '../conventions/mappings.js';
import type { TranslateStats } from '../conventions/translate.js';
import { checkDeliverable, prepare, profilesOf, translationsFor, type Delivery } from '../forward/prepare.js';
import { spanCount, type SpanBatch } from '../model/batch.js';
import { decompress } from '../wire/compression.js';
import { decode } from '../wire/formats.js';
import { chooseFormat, type Dialect } from './routes.js';
import { limitsOf } from './measure.js';
import { carryHops } from '../config/loops.js';

export interface ProcessInput {
  raw: Uint8Array;
  dialect: Dialect;
  contentType?: string;
  contentEncoding?: string;
  userAgent?: string;
  inbound: InboundCredentials;
  /** Names of the upstreams still to receive this request. */
  upstreams: string[];
  /** The tracebridge instances it came through (x-tracebridge-hop): each copy goes out with them. */
  hops?: string[];
}

export interface ProcessOutput {
  spans: number;
  rejected: number;
  format: string;
  conventions: Array<[string, number]>;
  deliveries: Delivery[];
}

/** Spans without a trace or span id cannot be stored anywhere: they are the partial-success rejects. */
function dropIdless(batch: SpanBatch): { batch: SpanBatch; rejected: number } {
  let rejected = 0;
  for (const rs of batch.resourceSpans)
    for (const ss of rs.scopeSpans) {
      const kept = ss.spans.filter((s) => s.traceId !== '' && s.spanId !== '');
      rejected += ss.spans.length - kept.length;
      ss.spans = kept;
    }
  return { batch, rejected };
}

interface Decoded {
  batch: SpanBatch;
  spans: number;
  rejected: number;
  format: string;
}

function targets(config: Config, input: ProcessInput) {
  return config.upstreams.filter((u) => input.upstreams.includes(u.name));
}

function senderCount(config: Config): number {
  return config.upstreams.filter((u) => u.type !== 'sink').length;
}

function decodeRequest(config: Config, input: ProcessInput): Decoded {
  const body = decompress(input.raw, input.contentEncoding, config.maxBodyBytes);
  const format = chooseFormat(input.dialect, input.contentType, input.userAgent, body);
  const { batch, rejected } = dropIdless(decode(format, body, limitsOf(config)));
  return { batch, spans: spanCount(batch), rejected, format };
}

/**
 * Decodes and finds everything preparing would refuse (bad input, missing credentials, no Weave
 * project) without translating: what a request must pass before it is answered.
 */
export function checkRequest(config: Config, input: ProcessInput): Decoded {
  const decoded = decodeRequest(config, input);
  if (decoded.spans === 0) return decoded;
  const senders = senderCount(config);
  for (const u of targets(config, input)) checkDeliverable(u, decoded.batch, resolveCredentials(u, input.inbound, senders));
  return decoded;
}

/** Translates and encodes a decoded batch for every upstream the request still goes to. */
export function prepareAll(config: Config, mappings: Mappings, input: ProcessInput, batch: SpanBatch): Pick<ProcessOutput, 'conventions' | 'deliveries'> {
  const senders = senderCount(config);
  const stats: TranslateStats = { conventions: new Map() };
  const upstreams = targets(config, input);
  const translations = translationsFor(batch, [...new Set(upstreams.flatMap(profilesOf))], mappings, stats);
  // Everything each upstream will receive is prepared before anything is queued, so a request
  // is either queued for every upstream or for none.
  const deliveries = upstreams.map((u) => carryHops(prepare(u, batch, resolveCredentials(u, input.inbound, senders), mappings, translations), input.hops));
  return { conventions: [...stats.conventions], deliveries };
}

export function processRequest(config: Config, mappings: Mappings, input: ProcessInput): ProcessOutput {
  const { batch, spans, rejected, format } = decodeRequest(config, input);
  if (spans === 0) return { spans, rejected, format, conventions: [], deliveries: [] };
  return { spans, rejected, format, ...prepareAll(config, mappings, input, batch) };
}
