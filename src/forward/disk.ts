// Checks at start-up that the data dir can hold the queue: a read-only or full disk is reported
// before any request is accepted, not discovered by losing one.
import { chmod, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class DiskError extends Error {
  override name = 'DiskError';
}

export async function probeDataDir(dataDir: string): Promise<void> {
  const probe = join(dataDir, `.probe-${process.pid}`);
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // An existing folder keeps its mode otherwise: queued batches may hold a caller's key.
    await chmod(dataDir, 0o700);
    const fh = await open(probe, 'w', 0o600);
    try {
      await fh.write(Buffer.alloc(4096));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await unlink(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EROFS' ? 'the file system is read-only' : e.code === 'ENOSPC' ? 'the disk is full' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.message;
    throw new DiskError(`data dir ${dataDir} cannot hold the queue: ${why} (${e.code ?? 'error'})`);
  }
}
