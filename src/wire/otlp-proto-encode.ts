// SpanBatch -> ExportTraceServiceRequest bytes, written by hand from trace.proto / common.proto.
// Two passes and no intermediate message objects: `measure` walks the batch and records the
// length of every string and nested message (in the order the writer will need them), then
// `write` fills one buffer of exactly that size. Fields holding their default value are left out,
// as proto3 encoders do (but a span's status is always there, and a oneof's value always is).
import type { AnyValue, Attributes, Resource, Scope, Span, SpanBatch, SpanEvent, SpanLink } from '../model/batch.js';
import { memoByKey } from '../conventions/memo.js';

/** A hex digit's value by character code, -1 for any other character. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** True for an even number of hex digits (what the model's ids are), checked in JS: a regex call costs more for 16 or 32 characters. */
function isHexId(hex: string): boolean {
  if (hex.length & 1) return false;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (c >= 128 || NIBBLE[c] < 0) return false;
  }
  return true;
}

// Short ASCII strings (most keys and many values) are measured and copied in JS; a native call
// costs more than the copy. Longer ones go to Buffer's UTF-8 writer without argument checks.
const SHORT = 16;
type Utf8Writer = (this: Buffer, s: string, offset: number, length: number) => number;
const utf8Write: Utf8Writer =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write ??
  function (this: Buffer, s, offset, length) {
    return this.write(s, offset, length, 'utf8');
  };

/** An attribute key's UTF-8 bytes, once per distinct key: the same few hundred keys are on every span. */
const keyBytes = memoByKey((key: string): Uint8Array => Buffer.from(key, 'utf8'));

/** A KeyValue's key field, measured from its bytes (left out when empty, as any string field). */
function keyField(key: string): number {
  if (key === '') return 0;
  const n = keyBytes(key).length;
  return 1 + varintSize(n) + n;
}

function utf8Length(s: string): number {
  if (s.length > SHORT) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

// Field tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
const T = {
  request: { resourceSpans: 0x0a },
  resourceSpans: { resource: 0x0a, scopeSpans: 0x12, schemaUrl: 0x1a },
  resource: { attributes: 0x0a, dropped: 0x10 },
  scopeSpans: { scope: 0x0a, spans: 0x12, schemaUrl: 0x1a },
  scope: { name: 0x0a, version: 0x12, attributes: 0x1a, dropped: 0x20 },
  span: {
    traceId: 0x0a,
    spanId: 0x12,
    traceState: 0x1a,
    parentSpanId: 0x22,
    name: 0x2a,
    kind: 0x30,
    start: 0x39,
    end: 0x41,
    attributes: 0x4a,
    dropped: 0x50,
    events: 0x5a,
    droppedEvents: 0x60,
    links: 0x6a,
    droppedLinks: 0x70,
    status: 0x7a,
    flags: [0x85, 0x01],
  },
  event: { time: 0x09, name: 0x12, attributes: 0x1a, dropped: 0x20 },
  link: { traceId: 0x0a, spanId: 0x12, traceState: 0x1a, attributes: 0x22, dropped: 0x28, flags: 0x35 },
  status: { message: 0x12, code: 0x18 },
  keyValue: { key: 0x0a, value: 0x12 },
  anyValue: { string: 0x0a, bool: 0x10, int: 0x18, double: 0x21, array: 0x2a, kvlist: 0x32, bytes: 0x3a },
  list: { values: 0x0a },
} as const;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** A uint32 field (tag + varint), left out at 0; like protobufjs, values wrap to 32 bits. */
function uint32Field(n: number): number {
  const u = n >>> 0;
  return u ? 1 + varintSize(u) : 0;
}

/** An int32/enum field, left out at 0; negative values take ten bytes (sign-extended to 64 bits). */
function int32Field(n: number): number {
  const v = n | 0;
  return v === 0 ? 0 : 1 + (v < 0 ? 10 : varintSize(v));
}

function int64Size(v: bigint): number {
  let u = BigInt.asUintN(64, v);
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/** Model ids are hex; anything else is encoded as Buffer.from(hex, 'hex') reads it, as before. */
const idBytes = (hex: string) => (isHexId(hex) ? hex.length >>> 1 : Buffer.from(hex, 'hex').length);

/**
 * The lengths' list, kept from one request to the next: grown once to the largest request seen
 * rather than grown again (and collected) for each. Encoding is synchronous, so one is enough.
 */
let SHARED_SIZES: number[] = [];
/** Past this many entries (about 2 MB) a request's list is its own, not kept. */
const MAX_SHARED_SIZES = 1 << 18;

/** Lengths of strings and nested messages, in writing order. */
class Measure {
  readonly sizes: number[] = SHARED_SIZES;
  /** Entries in use: `sizes` may be longer, from an earlier request. */
  n = 0;

  private add(len: number): number {
    this.sizes[this.n] = len;
    return this.n++;
  }

  /** A length-delimited field whose length is already known: tag + length + bytes. */
  private field(len: number): number {
    return 1 + varintSize(len) + len;
  }

  /** A plain string field: left out when empty. */
  private str(s: string): number {
    return s === '' ? 0 : this.oneofStr(s);
  }

  /** A string in a oneof: written even when empty (presence is its meaning). */
  private oneofStr(s: string): number {
    const len = utf8Length(s);
    this.add(len);
    return this.field(len);
  }

  private id(hex: string): number {
    return hex === '' ? 0 : this.field(idBytes(hex));
  }

  /** Reserves a slot for a nested message's length, fills it once the body is measured. */
  private nested(body: () => number): number {
    const at = this.add(0);
    const len = body();
    this.sizes[at] = len;
    return this.field(len);
  }

  /** AnyValue's fields are a oneof: the one set is written even when it holds the default. */
  value(v: AnyValue): number {
    switch (v.type) {
      case 'string':
        return this.oneofStr(v.value);
      case 'bool':
        return 2;
      case 'int':
        return 1 + int64Size(v.value);
      case 'double':
        return 9;
      case 'bytes':
        return this.field(v.value.length);
      case 'array':
        return this.nested(() => {
          let n = 0;
          for (const x of v.value) n += this.nested(() => this.value(x));
          return n;
        });
      case 'kvlist':
        return this.nested(() => this.attributes(v.value));
      case 'empty':
        return 0;
    }
  }

  attributes(a: Attributes): number {
    let n = 0;
    // KeyValue{key, value: AnyValue}, inlined: this runs for every attribute.
    const sizes = this.sizes;
    a.forEach((v, k) => {
      const kv = this.add(0);
      const key = keyField(k);
      const at = this.add(0);
      const value = this.value(v);
      sizes[at] = value;
      const len = key + 1 + varintSize(value) + value;
      sizes[kv] = len;
      n += 1 + varintSize(len) + len;
    });
    return n;
  }

  resource(r: Resource): number {
    return this.attributes(r.attributes) + uint32Field(r.droppedAttributesCount);
  }

  scope(s: Scope): number {
    return this.str(s.name) + this.str(s.version) + this.attributes(s.attributes) + uint32Field(s.droppedAttributesCount);
  }

  event(e: SpanEvent): number {
    return (e.timeUnixNano ? 9 : 0) + this.str(e.name) + this.attributes(e.attributes) + uint32Field(e.droppedAttributesCount);
  }

  link(l: SpanLink): number {
    return this.id(l.traceId) + this.id(l.spanId) + this.str(l.traceState) + this.attributes(l.attributes) + uint32Field(l.droppedAttributesCount) + (l.flags ? 5 : 0);
  }

  span(s: Span): number {
    let n = this.id(s.traceId) + this.id(s.spanId) + this.str(s.traceState) + this.id(s.parentSpanId) + this.str(s.name);
    n += int32Field(s.kind);
    if (s.startTimeUnixNano) n += 9;
    if (s.endTimeUnixNano) n += 9;
    n += this.attributes(s.attributes);
    n += uint32Field(s.droppedAttributesCount);
    for (const e of s.events) n += this.nested(() => this.event(e));
    n += uint32Field(s.droppedEventsCount);
    for (const l of s.links) n += this.nested(() => this.link(l));
    n += uint32Field(s.droppedLinksCount);
    // Status is always written, as the OpenTelemetry SDKs do.
    n += this.nested(() => this.str(s.status.message) + int32Field(s.status.code));
    if (s.flags) n += 6;
    return n;
  }

  batch(b: SpanBatch): number {
    let n = 0;
    for (const rs of b.resourceSpans)
      n += this.nested(() => {
        let m = this.nested(() => this.resource(rs.resource));
        for (const ss of rs.scopeSpans)
          m += this.nested(() => {
            let k = this.nested(() => this.scope(ss.scope));
            for (const s of ss.spans) k += this.nested(() => this.span(s));
            return k + this.str(ss.schemaUrl);
          });
        return m + this.str(rs.schemaUrl);
      });
    return n;
  }
}

/** Writes what Measure measured, consuming its sizes in the same order. */
class Write {
  private pos = 0;
  private next = 0;

  constructor(
    readonly buf: Buffer,
    private readonly sizes: number[],
  ) {}

  private byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  private varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  private varint64(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  private int32(tag: number, n: number): void {
    n |= 0;
    if (!n) return;
    this.byte(tag);
    if (n < 0) this.varint64(BigInt(n));
    else this.varint(n);
  }

  private uint32(tag: number, n: number): void {
    n >>>= 0;
    if (!n) return;
    this.byte(tag);
    this.varint(n);
  }

  private fixed64(tag: number, v: bigint): void {
    if (!v) return;
    this.byte(tag);
    this.pos = this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
  }

  private str(tag: number, s: string): void {
    if (s !== '') this.oneofStr(tag, s);
  }

  private oneofStr(tag: number, s: string): void {
    const len = this.sizes[this.next++];
    this.byte(tag);
    this.varint(len);
    if (len === s.length && len <= SHORT) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < len; i++) buf[pos++] = s.charCodeAt(i);
      this.pos = pos;
    } else this.pos += utf8Write.call(this.buf, s, this.pos, len);
  }

  private key(k: string): void {
    if (k === '') return;
    const b = keyBytes(k);
    const buf = this.buf;
    buf[this.pos++] = T.keyValue.key;
    this.varint(b.length);
    let pos = this.pos;
    if (b.length > 64) {
      buf.set(b, pos);
      pos += b.length;
    } else for (let i = 0; i < b.length; i++) buf[pos++] = b[i];
    this.pos = pos;
  }

  private id(tag: number, hex: string): void {
    if (hex === '') return;
    this.byte(tag);
    if (isHexId(hex)) {
      const n = hex.length >>> 1;
      this.varint(n);
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < n; i++) buf[pos++] = (NIBBLE[hex.charCodeAt(2 * i)] << 4) | NIBBLE[hex.charCodeAt(2 * i + 1)];
      this.pos = pos;
    } else {
      const bytes = Buffer.from(hex, 'hex');
      this.varint(bytes.length);
      this.pos += bytes.copy(this.buf, this.pos);
    }
  }

  private nested(tag: number, body: () => void): void {
    this.byte(tag);
    this.varint(this.sizes[this.next++]);
    body();
  }

  value(v: AnyValue): void {
    const t = T.anyValue;
    switch (v.type) {
      case 'string':
        return this.oneofStr(t.string, v.value);
      case 'bool':
        this.byte(t.bool);
        this.byte(v.value ? 1 : 0);
        return;
      case 'int':
        this.byte(t.int);
        this.varint64(v.value);
        return;
      case 'double':
        this.byte(t.double);
        this.pos = this.buf.writeDoubleLE(v.value, this.pos);
        return;
      case 'bytes':
        this.byte(t.bytes);
        this.varint(v.value.length);
        this.buf.set(v.value, this.pos);
        this.pos += v.value.length;
        return;
      case 'array':
        return this.nested(t.array, () => {
          for (const x of v.value) this.nested(T.list.values, () => this.value(x));
        });
      case 'kvlist':
        return this.nested(t.kvlist, () => this.attributes(T.list.values, v.value));
      case 'empty':
        return;
    }
  }

  attributes(tag: number, a: Attributes): void {
    a.forEach((v, k) => {
      this.byte(tag);
      this.varint(this.sizes[this.next++]);
      this.key(k);
      this.byte(T.keyValue.value);
      this.varint(this.sizes[this.next++]);
      this.value(v);
    });
  }

  span(s: Span): void {
    const t = T.span;
    this.id(t.traceId, s.traceId);
    this.id(t.spanId, s.spanId);
    this.str(t.traceState, s.traceState);
    this.id(t.parentSpanId, s.parentSpanId);
    this.str(t.name, s.name);
    this.int32(t.kind, s.kind);
    this.fixed64(t.start, s.startTimeUnixNano);
    this.fixed64(t.end, s.endTimeUnixNano);
    this.attributes(t.attributes, s.attributes);
    this.uint32(t.dropped, s.droppedAttributesCount);
    for (const e of s.events)
      this.nested(t.events, () => {
        this.fixed64(T.event.time, e.timeUnixNano);
        this.str(T.event.name, e.name);
        this.attributes(T.event.attributes, e.attributes);
        this.uint32(T.event.dropped, e.droppedAttributesCount);
      });
    this.uint32(t.droppedEvents, s.droppedEventsCount);
    for (const l of s.links)
      this.nested(t.links, () => {
        this.id(T.link.traceId, l.traceId);
        this.id(T.link.spanId, l.spanId);
        this.str(T.link.traceState, l.traceState);
        this.attributes(T.link.attributes, l.attributes);
        this.uint32(T.link.dropped, l.droppedAttributesCount);
        if (l.flags) {
          this.byte(T.link.flags);
          this.pos = this.buf.writeUInt32LE(l.flags >>> 0, this.pos);
        }
      });
    this.uint32(t.droppedLinks, s.droppedLinksCount);
    this.nested(t.status, () => {
      this.str(T.status.message, s.status.message);
      this.int32(T.status.code, s.status.code);
    });
    if (s.flags) {
      this.byte(t.flags[0]);
      this.byte(t.flags[1]);
      this.pos = this.buf.writeUInt32LE(s.flags >>> 0, this.pos);
    }
  }

  batch(b: SpanBatch): void {
    for (const rs of b.resourceSpans)
      this.nested(T.request.resourceSpans, () => {
        this.nested(T.resourceSpans.resource, () => {
          this.attributes(T.resource.attributes, rs.resource.attributes);
          this.uint32(T.resource.dropped, rs.resource.droppedAttributesCount);
        });
        for (const ss of rs.scopeSpans)
          this.nested(T.resourceSpans.scopeSpans, () => {
            this.nested(T.scopeSpans.scope, () => {
              this.str(T.scope.name, ss.scope.name);
              this.str(T.scope.version, ss.scope.version);
              this.attributes(T.scope.attributes, ss.scope.attributes);
              this.uint32(T.scope.dropped, ss.scope.droppedAttributesCount);
            });
            for (const s of ss.spans) this.nested(T.scopeSpans.spans, () => this.span(s));
            this.str(T.scopeSpans.schemaUrl, ss.schemaUrl);
          });
        this.str(T.resourceSpans.schemaUrl, rs.schemaUrl);
      });
  }

  get written(): number {
    return this.pos;
  }
}

/** `alloc` gives the output buffer (exactly `size` bytes), e.g. from a pool of reused ones. */
export function encodeRequest(batch: SpanBatch, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const m = new Measure();
  const size = m.batch(batch);
  const w = new Write(alloc(size), m.sizes);
  if (m.n > MAX_SHARED_SIZES) SHARED_SIZES = [];
  w.batch(batch);
  if (w.written !== size) throw new Error(`internal: encoded ${w.written} bytes, measured ${size}`);
  return w.buf;
}
