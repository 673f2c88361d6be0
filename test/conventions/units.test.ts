// The set of shown pieces against a plain Set: the same members, size and answers, for short
// pieces, long ones, long ones that differ in one character, and ones whose samples collide.
import t from 'tap';
import fc from 'fast-check';
import { covers, Units } from '../../src/conventions/visible.js';

const base = 'The weather in Paris is mild with light winds from the west. '.repeat(3);
/** Long pieces alike but for one character, at a sampled place or between them. */
const piece = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.tuple(fc.nat(base.length - 1), fc.constantFrom('x', 'y', 'é')).map(([i, c]) => base.slice(0, i) + c + base.slice(i + 1)),
  fc.constant(base),
  fc.nat(3).map((n) => base + ' '.repeat(n)),
);

t.test('the same as a Set', async () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), fc.array(piece, { maxLength: 30 }), (added, asked) => {
      const u = new Units();
      const s = new Set<string>();
      for (const p of added) {
        u.add(p);
        s.add(p);
      }
      if (u.size !== s.size) return false;
      if ([...u].sort().join('\u0001') !== [...s].sort().join('\u0001')) return false;
      return [...added, ...asked].every((p) => u.has(p) === s.has(p));
    }),
    { numRuns: 1000 },
  );
});

t.test('covers: every needed piece inside some piece held', async (t) => {
  const long = base + 'and a cooler evening.';
  t.ok(covers(new Units([long]), new Units([long])), 'the same long piece');
  t.ok(covers(new Units([long]), new Units(['light winds'])), 'a piece within a long one');
  t.notOk(covers(new Units([base]), new Units([long])), 'a longer piece is not inside');
  t.ok(covers(new Units(['a']), new Units()), 'nothing needed');
});

t.test('pieces alike where sampled: the same answers, and no lookup compares more than a few', async (t) => {
  // 100 characters are sampled every 6th: the second character is never looked at.
  const alike = Array.from({ length: 300 }, (_, i) => `a${String.fromCharCode(0x4e00 + i)}${'b'.repeat(98)}`);
  const u = new Units(alike);
  t.equal(u.size, 300, 'every piece counted once');
  u.add(alike[7]);
  u.add(alike[200]);
  t.equal(u.size, 300, 'adding a piece again changes nothing');
  t.ok(
    alike.every((p) => u.has(p)),
    'every piece found',
  );
  t.notOk(u.has(`a!${'b'.repeat(98)}`), 'an alike piece not added is not found');
  t.equal([...u].length, 300, 'each piece listed once');
});
