// What a reader works with: the span's attributes and events, the record being filled, and a
// note of which attributes and events each field came from (so a writer can replace them).
import { valuesByKey } from '../order.js';
import type { AnyValue, Attributes, SpanEvent } from '../../model/batch.js';
import { memoByKey } from '../memo.js';
import { isDigits, jsonAttr } from '../attrs.js';
import { messageUnits, Units } from '../visible.js';
import { getField, setField, type Message, type LlmCall, type ScalarField, type ScalarValue, type SpanRole } from '../record.js';

export type Structured = 'input' | 'output' | 'tools' | 'documents' | 'embeddings' | 'inputValue' | 'outputValue';
export type Slot = ScalarField | Structured;

const NO_LIST: { items: Map<string, AnyValue>[]; keys: string[] } = Object.freeze({ items: [], keys: [] }) as never;

export class ReadContext {
  readonly call: LlmCall = { params: {}, usage: {} };
  /** Attribute keys whose whole meaning is in the record, per slot. */
  readonly sources = new Map<Slot, string[]>();
  readonly eventSources = new Map<Slot, SpanEvent[]>();
  /** Where each field was read from (a key, a list of keys as `prefix.*`, or an event), for `inspect`; empty unless asked for. */
  readonly origins = new Map<Slot, string>();
  /** `slot:key` for each key whose messages the slot is known to hold whole (merged from it). */
  readonly covered = new Set<string>();

  private lists: Map<string, Map<number, Map<string, AnyValue>>> | undefined;
  /** JSON attributes parsed so far: readers, carriers and the Weave floor ask for the same few keys. */
  private parsed: Map<string, unknown> | undefined;
  /**
   * messageUnits of each message list compared so far. A list's pieces never change once read:
   * merging copies the messages it adds to, and the edits after reading (empty text beside tool
   * calls dropped, Gemini's role renamed) remove or rename nothing a piece is made of.
   */
  private unitsByList: Map<Message[], Units> | undefined;
  /** Message lists written as JSON for this span, shared by the profiles written from this reading. */
  readonly writtenJson = new Map<Message[], string>();
  /** What each JSON carrier read showed: its messages, and what it holds beside them. */
  private carried: Map<string, { msgs: Message[]; extra: Units }> | undefined;
  private listKeys: Map<string, string[]> | undefined;

  constructor(
    readonly attrs: Attributes,
    readonly events: SpanEvent[],
    /** The span's name: some frameworks say what a span is only there. */
    readonly name = '',
    /** Only `inspect` shows origins: translation does not pay for the strings. */
    private readonly trackOrigins = true,
  ) {}

  /**
   * A flattened list attribute (`<prefix>.<i>.<rest>`) as one map of rest → value per index, in
   * index order, with the keys it came from. All lists are indexed in one pass over the span.
   */
  list(prefix: string): { items: Map<string, AnyValue>[]; keys: string[] } {
    if (!this.lists) this.indexLists();
    const byIndex = this.lists!.get(prefix);
    if (!byIndex) return NO_LIST;
    const items = valuesByKey(byIndex);
    return { items, keys: this.listKeys!.get(prefix)! };
  }

  private indexLists(): void {
    const lists = (this.lists = new Map<string, Map<number, Map<string, AnyValue>>>());
    const listKeys = (this.listKeys = new Map<string, string[]>());
    this.attrs.forEach((value, key) => {
      const at = listPosition(key);
      if (at === null) return;
      let byIndex = lists.get(at.prefix);
      if (!byIndex) {
        lists.set(at.prefix, (byIndex = new Map()));
        listKeys.set(at.prefix, []);
      }
      let item = byIndex.get(at.index);
      if (!item) byIndex.set(at.index, (item = new Map()));
      item.set(at.rest, value);
      listKeys.get(at.prefix)!.push(key);
    });
  }

  /**
   * `jsonAttr` of a span attribute, parsed once per span. Readers build records from the value and
   * never change it, so one parse serves them all.
   */
  json(key: string): unknown {
    const parsed = (this.parsed ??= new Map());
    let v = parsed.get(key);
    if (v === undefined && !parsed.has(key)) parsed.set(key, (v = jsonAttr(this.attrs, key)));
    return v;
  }

  /** messageUnits of a list, once per list; the set is shared, never to be added to. */
  units(msgs: Message[]): Units {
    const m = (this.unitsByList ??= new Map());
    let u = m.get(msgs);
    if (!u) m.set(msgs, (u = messageUnits(msgs)));
    return u;
  }

  /** Notes what a carrier key's value holds (its messages as read, and the pieces beside them). */
  carrier(key: string, msgs: Message[], extra: Units): void {
    (this.carried ??= new Map()).set(key, { msgs, extra });
  }

  /** valueUnits of a carrier key's value, from what its reading noted; undefined for a key no carrier read. */
  carrierUnits(key: string): Units | undefined {
    const c = this.carried?.get(key);
    if (!c) return undefined;
    const out = new Units(this.units(c.msgs));
    for (const u of c.extra) out.add(u);
    return out;
  }

  /** Fills a scalar field unless an earlier key did; a later key with the same value is a source too. */
  scalar(field: ScalarField, value: ScalarValue | undefined, key: string | undefined): void {
    if (value === undefined) return;
    const have = getField(this.call, field);
    if (have === undefined) {
      setField(this.call, field, value);
      this.sources.set(field, key ? [key] : []);
      if (key && this.trackOrigins) this.origins.set(field, key);
    } else if (key && (have === value || (Array.isArray(have) && JSON.stringify(have) === JSON.stringify(value)))) {
      this.sources.get(field)?.push(key);
    }
  }

  /** Fills a structured slot unless already filled. Lossy readings leave the originals in place. */
  structured<K extends Structured>(slot: K, value: unknown, keys: string[], lossless: boolean, events: SpanEvent[] = [], origin?: string): boolean {
    if (value === undefined || this.has(slot)) return false;
    (this.call as unknown as Record<string, unknown>)[slot] = value;
    if (this.trackOrigins) {
      const from = origin ?? (keys.length ? listName(keys[0]) : events.length ? `events.${events[0].name}` : undefined);
      if (from) this.origins.set(slot, from);
    }
    if (lossless) {
      this.sources.set(slot, keys);
      if (events.length) this.eventSources.set(slot, events);
    }
    return true;
  }

  /** Notes a further source of a field (a merge, or a reader that fills a field without a key of its own). */
  from(slot: Slot, origin: string): void {
    if (!this.trackOrigins) return;
    const have = this.origins.get(slot);
    if (have !== origin && !have?.split(' + ').includes(origin)) this.origins.set(slot, have ? `${have} + ${origin}` : origin);
  }

  /** What the span is: the first convention that says wins. */
  role(role: SpanRole | undefined): void {
    if (role && this.call.role === undefined) this.call.role = role;
  }

  has(slot: Structured): boolean {
    return (this.call as unknown as Record<string, unknown>)[slot] !== undefined;
  }
}

/** `llm.input_messages.0.message.role` → `llm.input_messages.*`; any other key as it is. */
function listName(key: string): string {
  const at = listPosition(key);
  return at ? `${at.prefix}.*` : key;
}

/** The first all-digit segment splits a key into list prefix, index and rest (null: not a list key). */
const listPosition = memoByKey((key: string): { prefix: string; index: number; rest: string } | null => {
  let start = 0;
  for (let dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', start)) {
    const next = key.indexOf('.', dot + 1);
    const seg = key.slice(dot + 1, next < 0 ? key.length : next);
    if (seg.length && seg.length < 10 && isDigits(seg)) return { prefix: key.slice(0, dot), index: Number(seg), rest: next < 0 ? '' : key.slice(next + 1) };
    start = dot + 1;
  }
  return null;
});
