// The in-place sort of short lists against Array.prototype.sort: the same order, ties kept.
import t from 'tap';
import fc from 'fast-check';
import { sortShort, valuesByKey } from '../../src/conventions/order.js';

t.test('sortShort orders as Array.prototype.sort does, stably', async () => {
  fc.assert(
    fc.property(fc.array(fc.record({ rank: fc.integer({ min: 0, max: 5 }), id: fc.nat() }), { maxLength: 40 }), (items) => {
      const cmp = (a: { rank: number }, b: { rank: number }) => a.rank - b.rank;
      return JSON.stringify(sortShort([...items], cmp)) === JSON.stringify([...items].sort(cmp));
    }),
    { numRuns: 1000 },
  );
});

t.test('valuesByKey: values in the order of their numeric keys', async () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }), (keys) => {
      const m = new Map(keys.map((k) => [k, `v${k}`]));
      return JSON.stringify(valuesByKey(m)) === JSON.stringify([...keys].sort((a, b) => a - b).map((k) => `v${k}`));
    }),
    { numRuns: 500 },
  );
});
