// A spray of wrong keys does not evict a proven key's verdict, nor a refused key's.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { KeyVerdicts } from '../../src/receive/admission.js';

t.test('12,000 refused keys later, the proven key is still accepted and the refused one refused', async (t) => {
  const v = new KeyVerdicts();
  v.set('weave', 'proven', 'accepted');
  v.set('weave', 'wrong', 'refused');
  for (let i = 0; i < 12_000; i++) v.set('weave', randomBytes(12).toString('hex'), 'refused');
  t.equal(v.get('weave', 'proven'), 'accepted', 'the proven key needs no new proof');
  t.equal(v.get('weave', 'wrong'), 'refused', 'the refused key is still refused at the door');
  t.equal(v.get('langtrace', 'proven'), undefined, 'a verdict is per upstream');
});

t.test('a verdict can change', async (t) => {
  const v = new KeyVerdicts();
  v.set('weave', 'k', 'refused');
  v.set('weave', 'k', 'accepted');
  t.equal(v.get('weave', 'k'), 'accepted', 'granted later');
  v.set('weave', 'k', 'refused');
  t.equal(v.get('weave', 'k'), 'refused', 'revoked later');
});
