// Decoders share one copy of each attribute key: what a span holds must not change, also past
// the bound, where the table starts again, and for keys too long to be kept.
import t from 'tap';
import { sharedKey } from '../../src/wire/shared-keys.js';

t.test('a key comes back as itself, before and after the table is full, and long keys pass through', async (t) => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `attr.${i}.${'x'.repeat(i % 40)}`);
  let wrong = 0;
  for (let round = 0; round < 2; round++) for (const k of keys) if (sharedKey(k.slice(0)) !== k) wrong++;
  t.equal(wrong, 0, '20,000 lookups over 10,000 distinct keys');
  const long = 'k'.repeat(1000);
  t.equal(sharedKey(long), long);
  t.equal(sharedKey(''), '');
});
