// JSON text written straight into one reused, growing buffer as UTF-8: no piece is joined into a
// longer string first. A joined string is a rope that V8 flattens into fresh memory before it can
// be measured or written, so every span's text used to be copied twice and collected once.

type Utf8Writer = (this: Buffer, s: string, offset: number, length: number) => number;
const utf8Write: Utf8Writer =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write ??
  function (this: Buffer, s, offset, length) {
    return this.write(s, offset, length, 'utf8');
  };

/** What JSON.stringify would escape in a string: quotes, backslashes, controls, and lone surrogates (kept as pairs when paired). */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Below this length a string is copied in JS when it is ASCII: a native call costs more. */
const SHORT = 24;

/** A scratch buffer this large is not kept between bodies: one huge request should not pin its memory. */
const MAX_KEPT = 8 * 1024 * 1024;

export class JsonBytes {
  private buf: Buffer;
  pos = 0;

  constructor(private readonly initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Text known to need no escaping (punctuation, numbers, keys already written as JSON). */
  raw(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const buf = this.buf;
    let pos = this.pos;
    if (n <= SHORT) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i === n) {
        this.pos = pos;
        return;
      }
      pos = this.pos;
    }
    this.pos = pos + utf8Write.call(buf, s, pos, buf.length - pos);
  }

  /** UTF-8 bytes already encoded (a key's `"key":`, say). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    if (n > 64) {
      buf.set(b, pos);
      pos += n;
    } else for (let i = 0; i < n; i++) buf[pos++] = b[i];
    this.pos = pos;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** A string as JSON.stringify writes it. */
  string(s: string): void {
    if (NEEDS_ESCAPE.test(s)) return this.raw(JSON.stringify(s));
    this.room(s.length * 3 + 2);
    this.buf[this.pos++] = 0x22;
    this.raw(s);
    this.buf[this.pos++] = 0x22;
  }

  /** Bytes written since `from`, as text (for callers that want strings). */
  text(from: number): string {
    return this.buf.toString('utf8', from, this.pos);
  }

  /** Bytes written since `from`, copied into `into` at `at`. */
  copyTo(into: Uint8Array, at: number, from = 0): number {
    return this.buf.copy(into, at, from, this.pos);
  }

  /** Starts again, keeping the buffer unless one body made it very large. */
  reset(): void {
    this.pos = 0;
    if (this.buf.length > MAX_KEPT) this.buf = Buffer.allocUnsafe(this.initial);
  }
}
