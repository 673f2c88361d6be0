import t from 'tap';
import { ownBuffers } from '../../src/receive/pool.js';

t.test('only buffers that own their memory are transferred', async (t) => {
  const own = Buffer.alloc(64 * 1024);
  const pooled = Buffer.from('small'); // a slice of Node's shared pool
  const view = own.subarray(10, 20);
  t.same(ownBuffers([own]), [own.buffer]);
  t.same(ownBuffers([pooled]), [], 'a pooled buffer is copied, never transferred');
  t.same(ownBuffers([view]), [], 'a view of part of a buffer is copied');
  t.same(ownBuffers([own, own]), [own.buffer], 'each buffer once');
});
