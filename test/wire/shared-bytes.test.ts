// The shared-string tables reached from bytes (the protobuf decoder's keys and short values): a
// lookup gives back exactly the string of those bytes or nothing, whatever was kept before it.
import t from 'tap';
import fc from 'fast-check';
import { keptKey, keptValue, keyFromBytes, valueFromBytes } from '../../src/wire/shared-strings.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

t.test('what was kept is found from its bytes; other bytes find nothing or their own string', async () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 })), { minLength: 1, maxLength: 50 }), fc.string(), (kept, probe) => {
      for (const s of kept) {
        const b = bytes(s);
        if (keptKey(b, 0, b.length, s) !== s || keptValue(b, 0, b.length, s).value !== s) return false;
      }
      for (const s of [...kept, probe]) {
        // Inside a larger buffer, as a decoder sees it.
        const b = Buffer.concat([bytes('xx'), bytes(s), bytes('yy')]);
        const key = keyFromBytes(b, 2, b.length - 2);
        const value = valueFromBytes(b, 2, b.length - 2);
        if ((key !== undefined && key !== s) || (value !== undefined && (value.type !== 'string' || value.value !== s))) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
});

t.test('a short ASCII key and value are found again; long or non-ASCII ones are not kept', async (t) => {
  const b = bytes('gen_ai.request.model');
  keptKey(b, 0, b.length, 'gen_ai.request.model');
  t.equal(keyFromBytes(b, 0, b.length), 'gen_ai.request.model');
  const v = bytes('openai');
  t.equal(keptValue(v, 0, v.length, 'openai'), valueFromBytes(v, 0, v.length), 'the same tagged value');
  const long = bytes('x'.repeat(100));
  keptValue(long, 0, long.length, 'x'.repeat(100));
  t.equal(valueFromBytes(long, 0, long.length), undefined);
  const accented = bytes('modèle');
  keptKey(accented, 0, accented.length, 'modèle');
  t.equal(keyFromBytes(accented, 0, accented.length), undefined);
});
