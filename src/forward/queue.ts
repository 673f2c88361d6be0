// A bounded in-memory queue with its own consumers: one per upstream, so a slow upstream only
// ever fills its own queue. A full queue refuses new work (the caller answers 429/503).
export interface Queue<T> {
  readonly depth: number;
  readonly inFlight: number;
  /** True when `n` more items fit. */
  hasRoom(n?: number): boolean;
  offer(item: T): boolean;
  /** Resolves when the queue is empty and nothing is in flight (or `ms` passed). */
  drain(ms?: number): Promise<boolean>;
  close(): void;
}

export class MemoryQueue<T> implements Queue<T> {
  private items: T[] = [];
  private running = 0;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly concurrency: number,
    private readonly work: (item: T) => Promise<void>,
  ) {}

  get depth(): number {
    return this.items.length;
  }

  get inFlight(): number {
    return this.running;
  }

  hasRoom(n = 1): boolean {
    return !this.closed && this.items.length + n <= this.max;
  }

  offer(item: T): boolean {
    if (!this.hasRoom()) return false;
    this.items.push(item);
    this.pump();
    return true;
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.items.length) {
      const item = this.items.shift() as T;
      this.running++;
      this.work(item)
        .catch(() => undefined) // the worker reports its own failures
        .finally(() => {
          this.running--;
          this.pump();
          if (!this.items.length && !this.running) this.idle.splice(0).forEach((f) => f());
        });
    }
  }

  drain(ms = 30_000): Promise<boolean> {
    if (!this.items.length && !this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.closed = true;
  }
}
