// Large request bodies (a Langtrace JSON array, a protobuf before gzip) come from a small pool of
// reused blocks. A fresh block of a few hundred KiB is mapped and faulted in page by page, then
// unmapped when the collector frees it: measured at 0.3–2 ms for a 280 KB body, against 0.02 ms
// to write the same bytes into memory already in use. A body goes back to the pool once nothing
// will read it again; one never given back is simply collected.
import type { Delivery } from './prepare.js';
import type { SpanBatch } from '../model/batch.js';
import { eachLangtraceNativeSpan } from '../wire/langtrace.js';

/** Smaller bodies come from Node's own allocator, which reuses them well. */
const MIN_POOLED = 64 * 1024;
/** Blocks kept for reuse, at most, per thread. */
const MAX_POOLED_BYTES = 8 * 1024 * 1024;

/** Block sizes from 64 KiB, alternately ×1.5 and ×4/3 (powers of two and their halfway points): at most a third of a block is unused. */
function blockSize(n: number): number {
  let size = MIN_POOLED;
  let half = false;
  while (size < n) {
    size = half ? (size / 3) * 4 : (size / 2) * 3;
    half = !half;
  }
  return size;
}

export class BodyPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Blocks handed out: only these are taken back, each once. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private pooledBytes = 0;

  constructor(private readonly maxBytes = MAX_POOLED_BYTES) {}

  /** A buffer of exactly `n` bytes, contents undefined; give it back with `give` when done. */
  take(n: number): Buffer {
    if (n < MIN_POOLED) return Buffer.allocUnsafe(n);
    const size = blockSize(n);
    let block = this.free.get(size)?.pop();
    if (block) this.pooledBytes -= size;
    else block = new ArrayBuffer(size);
    this.lent.add(block);
    return Buffer.from(block, 0, n);
  }

  /** Takes back a buffer from `take` (anything else, or a second give, is ignored). */
  give(b: Uint8Array): void {
    const block = b.buffer as ArrayBuffer;
    // A block sent to another thread is detached (empty): gone, not reusable.
    if (!this.lent.delete(block) || block.byteLength === 0) return;
    if (this.pooledBytes + block.byteLength > this.maxBytes) return;
    this.pooledBytes += block.byteLength;
    let list = this.free.get(block.byteLength);
    if (!list) this.free.set(block.byteLength, (list = []));
    list.push(block);
  }

  /** Bytes waiting for reuse. */
  get idleBytes(): number {
    return this.pooledBytes;
  }
}

/** This thread's pool (each worker thread has its own). */
export const bodies = new BodyPool();

/** A JSON array of the given JSON values, as UTF-8 in a pooled buffer. */
export function jsonArrayBody(items: string[]): Buffer {
  let size = 2 + Math.max(0, items.length - 1);
  for (const s of items) size += Buffer.byteLength(s, 'utf8');
  const b = bodies.take(size);
  let at = 0;
  b[at++] = 0x5b; // [
  for (let i = 0; i < items.length; i++) {
    if (i) b[at++] = 0x2c; // ,
    at += b.write(items[i], at, 'utf8');
  }
  b[at++] = 0x5d; // ]
  return b;
}

/**
 * Langtrace's native array written straight from each span's pieces: a span's JSON is never
 * joined into one string (joining, then flattening it to write, copied every span twice).
 */
export function langtraceNativeBody(batch: SpanBatch): Buffer {
  const pieces: string[] = [];
  const lengths: number[] = [];
  let lastResource = '';
  let resourceBytes = 0;
  let size = 2;
  eachLangtraceNativeSpan(batch, (head, resource, tail) => {
    // The resource is one string per resource: measured once.
    if (resource !== lastResource) resourceBytes = Buffer.byteLength((lastResource = resource), 'utf8');
    const h = Buffer.byteLength(head, 'utf8');
    const t = Buffer.byteLength(tail, 'utf8');
    pieces.push(head, resource, tail);
    lengths.push(h, resourceBytes, t);
    size += h + resourceBytes + t + (pieces.length > 3 ? 1 : 0);
  });
  const b = bodies.take(size);
  let at = 0;
  b[at++] = 0x5b; // [
  for (let i = 0; i < pieces.length; i++) {
    if (i && i % 3 === 0) b[at++] = 0x2c; // ,
    at += b.write(pieces[i], at, lengths[i], 'utf8');
  }
  b[at++] = 0x5d; // ]
  return b;
}

/** A delivery's bodies will not be read again (delivered, refused, dead-lettered): back to the pool. */
export function releaseBodies(d: Delivery): void {
  for (const r of d.requests) bodies.give(r.body);
}
