import t from 'tap';
import { memoByKey } from '../../src/conventions/memo.js';

t.test('computes once per distinct key, including for null and undefined results', async (t) => {
  const calls: string[] = [];
  const f = memoByKey((k: string) => {
    calls.push(k);
    return k === 'none' ? undefined : k === 'null' ? null : k.length;
  });
  t.equal(f('abc'), 3);
  t.equal(f('abc'), 3);
  t.equal(f('none'), undefined);
  t.equal(f('none'), undefined);
  t.equal(f('null'), null);
  t.equal(f('null'), null);
  t.same(calls, ['abc', 'none', 'null']);
});

t.test('stays bounded: past its size it starts again', async (t) => {
  let calls = 0;
  const f = memoByKey((k: string) => (calls++, k));
  f('first');
  for (let i = 0; i < 5000; i++) f(`k${i}`);
  const before = calls;
  f('first');
  t.equal(calls, before + 1, 'an early key is computed again once the cache was cleared');
});

t.test('long keys are computed each time, never kept', async (t) => {
  let calls = 0;
  const f = memoByKey((k: string) => (calls++, k.length));
  const long = 'k.'.repeat(200);
  t.equal(f(long), 400);
  t.equal(f(long), 400);
  t.equal(calls, 2);
});
