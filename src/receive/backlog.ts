// Work that runs after the client has its answer, bounded: at most `concurrency` jobs run at once,
// and a new request is admitted only while fewer than `limit` are admitted, waiting or running.
// Past that, admission waits, so a proxy at saturation slows its clients down instead of
// holding an ever longer list in memory.

/** Resolves when a waiter pushed on `waiters` is called, or after `ms` (the waiter then removed). */
function wait(waiters: Array<() => void>, ms: number): Promise<void> {
  return new Promise<void>((r) => {
    const wake = () => {
      clearTimeout(timer);
      r();
    };
    const timer = setTimeout(
      () => {
        const i = waiters.indexOf(wake);
        if (i >= 0) waiters.splice(i, 1);
        r();
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    waiters.push(wake);
  });
}

export class Backlog<T> {
  private readonly waiting: T[] = [];
  private running = 0;
  private admitted = 0;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly concurrency: number,
    private readonly run: (job: T) => Promise<void>,
  ) {}

  /** Admitted, waiting and running. */
  get size(): number {
    return this.admitted + this.waiting.length + this.running;
  }

  /**
   * Resolves true once there is room (the caller must then either push or release), or false
   * when there was none for `timeoutMs`.
   */
  async admit(timeoutMs = Infinity): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.size >= this.limit) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await wait(this.roomWaiters, left);
    }
    this.admitted++;
    return true;
  }

  /** Gives back an admission that will not be pushed (the request was refused). */
  release(): void {
    this.admitted--;
    this.wakeOne();
  }

  /** Queues the job of an admitted request. */
  push(job: T): void {
    this.admitted--;
    this.add(job);
  }

  /** Queues a job without admission (work found at start-up). */
  add(job: T): void {
    this.waiting.push(job);
    this.pump();
  }

  /** Resolves when nothing waits or runs, or at `deadline` (ms since the epoch). */
  async drain(deadline = Infinity): Promise<boolean> {
    while (this.waiting.length + this.running > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await wait(this.idleWaiters, left);
    }
    return true;
  }

  private wakeOne(): void {
    this.roomWaiters.shift()?.();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.running++;
      // setImmediate: the answer just written goes out before this job takes the thread.
      setImmediate(() => {
        this.run(job)
          .catch(() => undefined) // run handles its own failures; nothing may stop the backlog
          .finally(() => {
            this.running--;
            this.wakeOne();
            if (this.waiting.length + this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
            this.pump();
          });
      });
    }
  }
}
