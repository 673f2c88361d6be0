// Prometheus metrics, one registry per running proxy.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  // Node's own metrics under their standard names (process_cpu_seconds_total, …), as dashboards expect.
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    requests: new Counter({ name: 'tracebridge_requests_total', help: 'Inbound trace requests by path and status.', labelNames: ['path', 'status'], registers: [registry] }),
    spansReceived: new Counter({ name: 'tracebridge_spans_received_total', help: 'Spans accepted, by detected convention.', labelNames: ['convention'], registers: [registry] }),
    spansRejectedInbound: new Counter({
      name: 'tracebridge_spans_refused_total',
      help: 'Spans refused at the door (bad input, full queue, auth).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    spansForwarded: new Counter({ name: 'tracebridge_spans_forwarded_total', help: 'Spans delivered, per upstream.', labelNames: ['upstream'], registers: [registry] }),
    spansRejected: new Counter({
      name: 'tracebridge_spans_rejected_total',
      help: 'Spans an upstream rejected for good or that ran out of retries.',
      labelNames: ['upstream', 'reason'],
      registers: [registry],
    }),
    spansDropped: new Counter({
      name: 'tracebridge_spans_dropped_total',
      help: 'Spans answered for other upstreams but dropped for this one: its queue was full and its disk budget spent.',
      labelNames: ['upstream', 'reason'],
      registers: [registry],
    }),
    requestsRefused: new Counter({
      name: 'tracebridge_requests_refused_total',
      help: 'Trace requests refused at the door, by reason (auth, body_limit, busy, queue_full, disk_budget, bad_input, …).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    retries: new Counter({ name: 'tracebridge_retries_total', help: 'Upstream request retries.', labelNames: ['upstream'], registers: [registry] }),
    redactions: new Counter({
      name: 'tracebridge_redactions_total',
      help: "Values redacted before an upstream saw them, by rule (drop, hash, or a pattern's name).",
      labelNames: ['upstream', 'rule'],
      registers: [registry],
    }),
    batchesWritten: new Counter({
      name: 'tracebridge_queue_writes_total',
      help: 'Batches written to an upstream queue on disk (the rest were sent from memory, the journal holding them).',
      labelNames: ['upstream'],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'tracebridge_queue_depth', help: 'Batches waiting per upstream.', labelNames: ['upstream'], registers: [registry] }),
    requestSeconds: new Histogram({
      name: 'tracebridge_request_duration_seconds',
      help: 'Inbound request handling time.',
      labelNames: ['path'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    journalSeconds: new Histogram({
      name: 'tracebridge_journal_write_seconds',
      help: "Writing an answered request to the journal (write, fsync, rename, directory fsync): what a client waits for besides decoding; the disk's fsync latency shows here.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    upstreamSeconds: new Histogram({
      name: 'tracebridge_upstream_duration_seconds',
      help: 'Upstream request latency.',
      labelNames: ['upstream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Each copy's redaction counts, as made in whichever thread prepared it. */
export function countRedactions(metrics: Metrics, deliveries: Array<{ upstream: string; redactions?: Record<string, number> }>): void {
  for (const d of deliveries) if (d.redactions) for (const [rule, n] of Object.entries(d.redactions)) metrics.redactions.inc({ upstream: d.upstream, rule }, n);
}
