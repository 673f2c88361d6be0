// What an upstream's dead-letter folder holds, as a test reads it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every dead letter's note (the .json beside each batch) of one upstream; a note still being written is left for the next read. */
export function deadNotes(dataDir: string, upstream: string): Array<Record<string, unknown>> {
  const dir = join(dataDir, 'deadletter', upstream);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      return [JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
