// What an operator wants to see at a glance, kept small and in memory: per upstream, spans
// delivered per minute over the last hour, retries and the last error; for the proxy, the
// conventions seen and the last few spans received (their `inspect` view is made on request).
import type { Span, SpanBatch } from '../model/batch.js';

const MINUTES = 60;

/** Spans per minute over the last hour, in a ring of minute buckets. */
class PerMinute {
  private readonly counts = new Array<number>(MINUTES).fill(0);
  private minute = Math.floor(Date.now() / 60_000);

  private roll(now: number): void {
    const m = Math.floor(now / 60_000);
    for (let i = Math.min(m - this.minute, MINUTES); i > 0; i--) this.counts[(m - i + 1) % MINUTES] = 0;
    this.minute = Math.max(this.minute, m);
  }

  add(n: number, now = Date.now()): void {
    this.roll(now);
    this.counts[this.minute % MINUTES] += n;
  }

  /** Oldest minute first, the current one last. */
  series(now = Date.now()): number[] {
    this.roll(now);
    return Array.from({ length: MINUTES }, (_, i) => this.counts[(this.minute + 1 + i) % MINUTES]);
  }
}

export class UpstreamActivity {
  readonly delivered = new PerMinute();
  spansDelivered = 0;
  retries = 0;
  lastError: { at: number; reason: string } | undefined;

  onDelivered(spans: number): void {
    this.spansDelivered += spans;
    this.delivered.add(spans);
  }

  onRetry(reason: string): void {
    this.retries++;
    this.lastError = { at: Date.now(), reason };
  }

  onFailed(reason: string): void {
    this.lastError = { at: Date.now(), reason };
  }

  /** Spans an upstream dropped within a 2xx answer (partialSuccess), and its last such answer. */
  spansRejected = 0;
  lastRejection: { at: number; rejected: number; message: string } | undefined;

  onPartial(rejected: number, message: string): void {
    this.spansRejected += rejected;
    this.lastRejection = { at: Date.now(), rejected, message };
  }
}

interface RecentSpan {
  at: number;
  span: Span;
  scope: string;
}

/** The proxy's side: spans received per convention, and the last few spans (references, no copies). */
export class ProxyActivity {
  readonly conventions = new Map<string, number>();
  private readonly recent: RecentSpan[] = [];

  constructor(private readonly keep = 8) {}

  onConventions(found: Array<[string, number]>): void {
    for (const [c, n] of found) this.conventions.set(c, (this.conventions.get(c) ?? 0) + n);
  }

  /** Keeps the batch's last spans: walked from the end, so a large batch costs no more than a small one. */
  onBatch(batch: SpanBatch): void {
    const at = Date.now();
    const last: RecentSpan[] = [];
    for (let r = batch.resourceSpans.length - 1; r >= 0 && last.length < this.keep; r--) {
      const scopes = batch.resourceSpans[r].scopeSpans;
      for (let s = scopes.length - 1; s >= 0 && last.length < this.keep; s--)
        for (let i = scopes[s].spans.length - 1; i >= 0 && last.length < this.keep; i--) last.push({ at, span: scopes[s].spans[i], scope: scopes[s].scope.name });
    }
    this.recent.push(...last.reverse());
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
  }

  /** Newest first. */
  get lastSpans(): RecentSpan[] {
    return [...this.recent].reverse();
  }
}
