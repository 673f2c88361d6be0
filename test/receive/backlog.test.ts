// The backlog behind the answer: never more than `concurrency` jobs at once, admission waits at
// the limit (back-pressure instead of an unbounded list), a failing job does not stop it.
import t from 'tap';
import { Backlog } from '../../src/receive/backlog.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

t.test('runs at most `concurrency` jobs at once, all of them, in order of arrival', async (t) => {
  let running = 0;
  let peak = 0;
  const ran: number[] = [];
  const backlog = new Backlog<number>(100, 2, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await tick();
    ran.push(n);
    running--;
  });
  for (let i = 0; i < 7; i++) backlog.add(i);
  t.equal(await backlog.drain(Date.now() + 5000), true);
  t.equal(peak, 2);
  t.same(ran.sort(), [0, 1, 2, 3, 4, 5, 6]);
});

t.test('admission waits while admitted + waiting + running reach the limit, and resumes when a job ends', async (t) => {
  const gates: Array<() => void> = [];
  const backlog = new Backlog<number>(2, 1, () => new Promise<void>((r) => gates.push(r)));
  await backlog.admit();
  backlog.push(1);
  await backlog.admit();
  backlog.push(2);
  let third = false;
  const admitted = backlog.admit().then(() => (third = true));
  await tick();
  t.equal(third, false, 'the third waits: two are in the backlog');
  t.equal(backlog.size, 2);
  gates.shift()!();
  await admitted;
  t.equal(third, true, 'admitted once the first job ended');
  backlog.release();
  const opener = setInterval(() => gates.shift()?.(), 2);
  t.equal(await backlog.drain(Date.now() + 1000), true);
  clearInterval(opener);
  t.equal(backlog.size, 0);
});

t.test('a released admission frees its place; a failing job does not stop the others', async (t) => {
  const ran: number[] = [];
  const backlog = new Backlog<number>(1, 1, async (n) => {
    if (n === 1) throw new Error('boom');
    ran.push(n);
  });
  await backlog.admit();
  backlog.release();
  await backlog.admit(); // would wait forever if release had not freed the place
  backlog.push(1);
  await backlog.admit();
  backlog.push(2);
  t.equal(await backlog.drain(Date.now() + 1000), true);
  t.same(ran, [2]);
});

t.test('drain gives up at its deadline while a job still runs', async (t) => {
  let end!: () => void;
  const backlog = new Backlog<number>(4, 1, () => new Promise<void>((r) => (end = r)));
  backlog.add(1);
  const started = Date.now();
  t.equal(await backlog.drain(Date.now() + 50), false);
  t.ok(Date.now() - started >= 45, 'waited until the deadline');
  end();
  t.equal(await backlog.drain(Date.now() + 1000), true);
});

t.test('admission gives up after its timeout when nothing ends (a stuck backlog answers, it does not hang)', async (t) => {
  let end!: () => void;
  const backlog = new Backlog<number>(1, 1, () => new Promise<void>((r) => (end = r)));
  t.equal(await backlog.admit(10), true);
  backlog.push(1);
  const started = Date.now();
  t.equal(await backlog.admit(50), false, 'no room within 50 ms');
  t.ok(Date.now() - started >= 45);
  t.equal(backlog.size, 1, 'a refused admission holds no place');
  end();
  t.equal(await backlog.admit(1000), true, 'room again once the job ended');
  backlog.release();
});
