// The durable hand-off between answering a request and delivering it: one interface, with the
// local journal and spools (local-handoff.ts) as the embedded implementation.
import type { checkRequest, ProcessInput } from './process.js';

export type Decoded = ReturnType<typeof checkRequest>;

export interface HandOff {
  /** Recovers what the last run left, then starts delivering. */
  open(): Promise<void>;
  /**
   * Takes a request durably: resolves once it is stored. `check` decodes and validates it (and
   * throws on bad input); an HttpError (503 with Retry-After, 429, 507) when it cannot be stored.
   */
  take(input: ProcessInput, meta: { fingerprint?: string; path: string }, check: () => Decoded): Promise<{ rejected: number }>;
  /** Nothing in hand: no request being stored or translated, no batch waiting or being sent. */
  readonly idle: boolean;
  /** For /readyz: ready or not, and why. */
  readiness(): { ready: boolean; body: Record<string, unknown> };
  /** Batches waiting per upstream, for /status and /metrics. */
  depths(): Promise<Record<string, number>>;
  /** Dead letters per upstream when they are kept elsewhere than the data dir (JetStream), for /status. */
  deadLetters?(): Promise<Record<string, number>>;
  /** Stops taking; what is not done by the deadline stays stored for the next start. */
  close(deadline: number): Promise<void>;
}
