// `tracebridge convert`: one file (or stdin) from one wire format to another, no server involved.
import { readFile, writeFile } from 'node:fs/promises';
import { decompress } from '../wire/compression.js';
import { decode, encode, INPUT_FORMATS, OUTPUT_FORMATS, parseFormat, sniff, type InputFormat, type OutputFormat } from '../wire/formats.js';
import type { SpanBatch } from '../model/batch.js';

export interface ConvertOptions {
  from?: string;
  to: string;
  input?: string;
  output?: string;
  /** Applied between decoding and encoding (the convention rewrite). */
  transform?: (batch: SpanBatch) => SpanBatch;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/** Files are trusted more than network bodies, but a cap still stops a runaway inflate. */
const FILE_LIMIT = 1024 * 1024 * 1024;

const isGzip = (b: Uint8Array) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;

export async function convert(opts: ConvertOptions): Promise<void> {
  const to: OutputFormat = parseFormat(opts.to, OUTPUT_FORMATS, '--to format');
  let raw: Uint8Array = opts.input && opts.input !== '-' ? await readFile(opts.input) : await readAll(process.stdin);
  if (isGzip(raw)) raw = decompress(raw, 'gzip', FILE_LIMIT);
  const from: InputFormat = opts.from ? parseFormat(opts.from, INPUT_FORMATS, '--from format') : sniff(raw);
  let batch = decode(from, raw);
  if (opts.transform) batch = opts.transform(batch);
  const bodies = encode(to, batch);
  // Several bodies (Langtrace's OTLP mode, one per resource) are written as JSON lines.
  const out = bodies.length === 1 ? bodies[0] : Buffer.from(bodies.map((b) => Buffer.from(b).toString('utf8')).join('\n') + '\n');
  if (opts.output && opts.output !== '-') await writeFile(opts.output, out);
  else await new Promise<void>((resolve, reject) => process.stdout.write(out, (e) => (e ? reject(e) : resolve())));
}
