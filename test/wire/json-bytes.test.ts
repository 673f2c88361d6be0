// The byte writer's strings against JSON.stringify, and its growth past the first buffer.
import t from 'tap';
import fc from 'fast-check';
import { JsonBytes } from '../../src/wire/json-bytes.js';

t.test('any string is written as JSON.stringify writes it, in UTF-8', async () => {
  const w = new JsonBytes(16);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
        fc.constantFrom('\ud800', 'a\udc00b', '"\\\n\u2028\u007f', '😀'),
      ),
      (s) => {
        w.reset();
        w.string(s);
        return w.text(0) === JSON.stringify(s);
      },
    ),
    { numRuns: 2000 },
  );
});

t.test('grows past its first buffer and keeps what was written', async (t) => {
  const w = new JsonBytes(8);
  const parts: string[] = [];
  for (let i = 0; i < 500; i++) {
    const s = `é${i}`.repeat(i % 7);
    w.raw(i ? ',' : '[');
    w.string(s);
    parts.push(JSON.stringify(s));
  }
  w.raw(']');
  t.equal(w.text(0), `[${parts.join(',')}]`);
  const copy = Buffer.alloc(w.pos + 2);
  t.equal(w.copyTo(copy, 1), w.pos, 'every byte copied');
  t.equal(copy.subarray(1, 1 + w.pos).toString(), w.text(0));
});
