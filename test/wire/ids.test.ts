// Repaired ids: the same text always gives the same id, protobuf bytes and their hex text agree,
// short ids are padded without a hash (one-to-one), any other text keeps its SHA-256 mapping.
import t from 'tap';
import { createHash } from 'node:crypto';
import { bytesToId, normaliseId } from '../../src/model/values.js';

t.test('short ids are padded: k, zeros, the bytes; the same from protobuf and from hex text', async (t) => {
  t.same(bytesToId(new Uint8Array([0x01]), 'span'), { id: '0100000000000001', repaired: true, hex: '01' });
  t.same(normaliseId('01', 'span'), { id: '0100000000000001', repaired: true });
  t.equal(bytesToId(new Uint8Array([0, 1]), 'span').id, '0200000000000001', 'a different length, a different id');
  t.equal(normaliseId('ABCD', 'trace').id, bytesToId(new Uint8Array([0xab, 0xcd]), 'trace').id);
  const seen = new Set<string>();
  for (let k = 1; k < 8; k++) for (let v = 0; v < 256; v++) seen.add(bytesToId(new Uint8Array(k).fill(v), 'span').id);
  t.equal(seen.size, 7 * 256, 'one-to-one over 1,792 short ids');
});

t.test('other text: the first bytes of its SHA-256, as before; repeated text gives the same id', async (t) => {
  const text = 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6';
  const sha = createHash('sha256').update(text).digest('hex');
  t.equal(normaliseId(text, 'trace').id, sha.slice(0, 32));
  t.equal(normaliseId(text, 'span').id, sha.slice(0, 16), 'span and trace ids of the same text are kept apart');
  t.equal(normaliseId(text, 'trace').id, sha.slice(0, 32), 'again: the same id');
  const long = new Uint8Array(20).fill(7);
  t.equal(bytesToId(long, 'trace').id, createHash('sha256').update('07'.repeat(20)).digest('hex').slice(0, 32), 'a longer protobuf id: as its hex text');
});
