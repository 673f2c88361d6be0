// What a reader works with: the span's attributes and events, the record being filled, and a
// note of which attributes and events each field came from (so a writer can replace them).
import type { Attributes, SpanEvent } from '../../model/batch.js';
import { getField, setField, type LlmCall, type ScalarField, type ScalarValue } from '../record.js';

export type Structured = 'input' | 'output' | 'tools' | 'documents' | 'embeddings';
export type Slot = ScalarField | Structured;

export class ReadContext {
  readonly call: LlmCall = { params: {}, usage: {} };
  /** Attribute keys whose whole meaning is in the record, per slot. */
  readonly sources = new Map<Slot, string[]>();
  readonly eventSources = new Map<Slot, SpanEvent[]>();

  constructor(
    readonly attrs: Attributes,
    readonly events: SpanEvent[],
  ) {}

  /** Fills a scalar field unless an earlier key did; a later key with the same value is a source too. */
  scalar(field: ScalarField, value: ScalarValue | undefined, key: string | undefined): void {
    if (value === undefined) return;
    const have = getField(this.call, field);
    if (have === undefined) {
      setField(this.call, field, value);
      this.sources.set(field, key ? [key] : []);
    } else if (key && JSON.stringify(have) === JSON.stringify(value)) {
      this.sources.get(field)?.push(key);
    }
  }

  /** Fills a structured slot unless already filled. Lossy readings leave the originals in place. */
  structured<K extends Structured>(slot: K, value: unknown, keys: string[], lossless: boolean, events: SpanEvent[] = []): boolean {
    if (value === undefined || this.has(slot)) return false;
    (this.call as unknown as Record<string, unknown>)[slot] = value;
    if (lossless) {
      this.sources.set(slot, keys);
      if (events.length) this.eventSources.set(slot, events);
    }
    return true;
  }

  has(slot: Structured): boolean {
    return (this.call as unknown as Record<string, unknown>)[slot] !== undefined;
  }
}
