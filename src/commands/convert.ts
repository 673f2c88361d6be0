// `tracebridge convert`: a file, a folder's files (or stdin) from one wire format to another, no
// server involved.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { decodeFile } from '../wire/files.js';
import { encode, INPUT_FORMATS, OUTPUT_FORMATS, parseFormat, type OutputFormat } from '../wire/formats.js';
import type { SpanBatch } from '../model/batch.js';
import { walk } from './inputs.js';

interface ConvertOptions {
  from?: string;
  to: string;
  input?: string;
  output?: string;
  /** Applied between decoding and encoding (the convention rewrite). */
  transform?: (batch: SpanBatch) => SpanBatch;
}

export async function readInput(input: string | undefined): Promise<Buffer> {
  if (input && input !== '-') return readFile(input);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

export async function convert(opts: ConvertOptions): Promise<void> {
  const to: OutputFormat = parseFormat(opts.to, OUTPUT_FORMATS, '--to format');
  const from = opts.from ? parseFormat(opts.from, INPUT_FORMATS, '--from format') : undefined;
  // JSON lines, and a folder's files, become one batch: their resources side by side.
  const isDir = opts.input && opts.input !== '-' && (await stat(opts.input)).isDirectory();
  const raws = isDir ? await Promise.all((await walk([opts.input!])).map((f) => readFile(f))) : [await readInput(opts.input)];
  let batch: SpanBatch = { resourceSpans: raws.flatMap((raw) => decodeFile(raw, from).flatMap((b) => b.resourceSpans)) };
  if (opts.transform) batch = opts.transform(batch);
  const bodies = encode(to, batch);
  // Several bodies (Langtrace's OTLP mode, one per resource) are written as JSON lines.
  const out = bodies.length === 1 ? bodies[0] : Buffer.from(bodies.map((b) => Buffer.from(b).toString('utf8')).join('\n') + '\n');
  if (opts.output && opts.output !== '-') await writeFile(opts.output, out);
  else await new Promise<void>((resolve, reject) => process.stdout.write(out, (e) => (e ? reject(e) : resolve())));
}
