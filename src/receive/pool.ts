// Worker threads for the CPU-bound part of requests (decode, translate, encode), so one proxy
// uses more than one core. Each task goes to the worker with the fewest in hand.
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { ProcessInput, ProcessOutput } from './process.js';

export class TaskError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly known: boolean,
  ) {
    super(message);
  }
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (o: ProcessOutput) => void; reject: (e: Error) => void }>;
}

/** The ArrayBuffers that can be transferred: only those a view spans whole (never Node's shared pool). */
export function ownBuffers(views: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}

export class WorkerPool {
  private slots: Slot[] = [];
  private next = 0;
  private closing = false;

  constructor(
    private readonly config: Config,
    size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Starts a worker; one that dies is replaced in its slot, its tasks failed. */
  private spawn(): Slot {
    // Under a TypeScript loader (tests) the worker is the .ts source; built, the .js next to this file.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const worker = new Worker(new URL(`./worker${ext}`, import.meta.url), { workerData: { config: this.config } });
    const slot: Slot = { worker, pending: new Map() };
    const fail = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      fail(new Error(`worker thread exited (code ${code})`));
      if (this.closing) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
    });
    worker.on('message', (m: { id: number; output?: ProcessOutput; error?: { message: string; status?: number; known: boolean } }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.error) p.reject(new TaskError(m.error.message, m.error.status, m.error.known));
      else {
        // Bodies arrive as Uint8Array after the structured clone.
        for (const d of m.output!.deliveries) for (const r of d.requests) r.body = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
        p.resolve(m.output!);
      }
    });
    worker.unref();
    return slot;
  }

  /** The workers, in slot order (for tests and diagnostics). */
  get workers(): Worker[] {
    return this.slots.map((s) => s.worker);
  }

  run(input: ProcessInput): Promise<ProcessOutput> {
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // The body is handed over, not copied, when it owns its memory (the request is done with it).
      slot.worker.postMessage({ id, input }, ownBuffers([input.raw]));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
