// The files named on a command line: files as given, folders walked in name order.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/** Every file under `inputs`, sorted within each folder; anything under `exclude` is left out. */
export async function walk(inputs: string[], exclude?: string): Promise<string[]> {
  const skip = exclude ? resolve(exclude) : undefined;
  const out: string[] = [];
  for (const p of inputs) {
    const full = resolve(p);
    if (skip && (full === skip || full.startsWith(skip + sep))) continue;
    const s = await stat(p);
    if (s.isDirectory())
      out.push(
        ...(await walk(
          (await readdir(p)).sort().map((n) => join(p, n)),
          exclude,
        )),
      );
    else if (s.isFile()) out.push(full);
  }
  return out;
}
