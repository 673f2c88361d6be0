// The proxy's own keys are compared in constant time: SHA-256 digests (one length, whatever the
// key's) through crypto.timingSafeEqual, against every configured key even after one matched.
import t from 'tap';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';

const real = crypto.timingSafeEqual;
const compared: number[] = [];
crypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
  compared.push(a.byteLength, b.byteLength);
  return real(a, b);
};
syncBuiltinESMExports();
t.teardown(() => {
  crypto.timingSafeEqual = real;
  syncBuiltinESMExports();
});
const { authorize } = await import('../../src/receive/admission.js');
const { isInboundKey } = await import('../../src/auth/inbound.js');

const KEYS = ['first-key', 'second', 'a-much-longer-third-key-0123456789'];

t.test('every configured key is compared, over digests of one length', async (t) => {
  for (const key of [...KEYS, 'wrong', '']) {
    compared.length = 0;
    t.equal(isInboundKey(KEYS, key), KEYS.includes(key), `${JSON.stringify(key)}: the right verdict`);
    t.equal(compared.length, 2 * KEYS.length, `${JSON.stringify(key)}: compared with all ${KEYS.length} keys`);
    t.ok(
      compared.every((n) => n === 32),
      'SHA-256 digests only',
    );
  }
});

t.test('authorize goes through it', async (t) => {
  compared.length = 0;
  t.same(authorize(KEYS, { key: 'second', keys: ['second', 'mine'] }), { project: undefined, key: 'mine', keys: ['mine'] }, "the proxy's key taken out");
  t.ok(compared.length > 0, 'compared in constant time');
  t.throws(() => authorize(KEYS, { key: 'secon', keys: ['secon'] }), { message: /not accepted/, status: 401 });
});
