// Decoders share one copy of each attribute key and short string value: what a span holds must
// not change, also past the bound, where a table starts again, and for strings too long to keep.
import t from 'tap';
import { toPlain } from '../../src/model/values.js';
import { sharedKey, stringValue } from '../../src/wire/shared-strings.js';

t.test('a key comes back as itself, before and after the table is full, and long keys pass through', async (t) => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `attr.${i}.${'x'.repeat(i % 40)}`);
  let wrong = 0;
  for (let round = 0; round < 2; round++) for (const k of keys) if (sharedKey(k.slice(0)) !== k) wrong++;
  t.equal(wrong, 0, '20,000 lookups over 10,000 distinct keys');
  const long = 'k'.repeat(1000);
  t.equal(sharedKey(long), long);
  t.equal(sharedKey(''), '');
});

t.test('a short value is one shared tagged value; a long one is a fresh one; each holds its string', async (t) => {
  t.equal(stringValue('openai'), stringValue('open' + 'ai'), 'the same object for the same short value');
  t.same(stringValue('openai'), { type: 'string', value: 'openai' });
  const long = 'a long message that is mostly unique to its span';
  t.not(stringValue(long), stringValue(long), 'long values are not kept');
  t.same(stringValue(long), { type: 'string', value: long });
  let wrong = 0;
  for (let i = 0; i < 10_000; i++) if (toPlain(stringValue(`v${i}`)) !== `v${i}`) wrong++;
  t.equal(wrong, 0, 'right past the bound');
});
