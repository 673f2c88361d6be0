// Instruction counts from `perf stat` (Debian's linux-perf), when the machine has it: unlike
// seconds, a count that other load on a shared machine does not move.
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';

/**
 * Instructions the process retires while `during` runs, from `perf stat` when the machine has it
 * (Debian's linux-perf): unlike seconds, a count that other load on the machine does not move.
 */
export async function instructions(pid: number, during: () => Promise<unknown>): Promise<number | undefined> {
  const perf = spawn('perf', ['stat', '-x', ',', '-e', 'instructions', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  perf.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<void>((r) => {
    perf.on('close', () => r());
    perf.on('error', () => r());
  });
  await new Promise((r) => setTimeout(r, 300)); // let perf attach
  await during();
  perf.kill('SIGINT');
  await exited;
  const n = Number(
    err
      .split('\n')
      .find((l) => l.includes('instructions'))
      ?.split(',')[0],
  );
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Bytes allocated on the JavaScript heap while `during` runs, collected or not, from V8's
 * sampling heap profiler (one sample per 1 KiB on average). Another count that load on the
 * machine does not move, and the one that decides how often the young generation is collected.
 */
export async function allocatedBytes(during: () => void): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    during();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    let total = 0;
    const walk = (n: typeof profile.head): void => {
      total += n.selfSize;
      n.children.forEach(walk);
    };
    walk(profile.head);
    return total;
  } finally {
    session.disconnect();
  }
}
