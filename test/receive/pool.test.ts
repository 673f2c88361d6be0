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

t.test('a worker thread that dies is replaced, and the pool goes on', async (t) => {
  const { WorkerPool } = await import('../../src/receive/pool.js');
  const { loadConfig } = await import('../../src/config/load.js');
  const config = loadConfig({ listen: '127.0.0.1:0' }, {});
  const pool = new WorkerPool(config, 1);
  // The pool's workers do not hold the process open (a server does, in use): this test must.
  const alive = setInterval(() => undefined, 1000);
  t.teardown(async () => {
    clearInterval(alive);
    await pool.close();
  });
  const before = pool.workers[0];
  const input = { raw: Buffer.from('[]'), dialect: 'langtrace' as const, contentType: 'application/json', inbound: {}, upstreams: [] };
  t.equal((await pool.run(input)).spans, 0, 'answers before');
  const exited = new Promise((r) => before.once('exit', r));
  await before.terminate();
  await exited;
  t.not(pool.workers[0], before, 'a new worker in the slot');
  t.equal((await pool.run(input)).spans, 0, 'and it takes tasks');
});
