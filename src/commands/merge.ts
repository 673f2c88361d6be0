// Dead letters resent together: batches for the same upstream with the same headers and
// credential are joined into one request of up to `max` spans. A protobuf export request is a
// list of resources, so two of them concatenated are one request holding both; Langtrace's
// native arrays join element by element. Other bodies (Langtrace's OTLP/JSON mode, which reads
// only a request's first resource) go alone.
import { gunzipSync } from 'node:zlib';
import type { Delivery, OutRequest } from '../forward/prepare.js';
import { gzip } from '../wire/compression.js';

type Kind = 'proto' | 'array';

function kindOf(d: Delivery): Kind | undefined {
  if (d.requests.length !== 1) return undefined;
  const r = d.requests[0];
  if (r.headers['content-type'] === 'application/x-protobuf') return 'proto';
  const ua = (r.headers['user-agent'] ?? '').toLowerCase();
  if (r.headers['content-type'] === 'application/json' && !ua.includes('otel') && !ua.includes('opentelemetry') && r.body[0] === 0x5b) return 'array';
  return undefined;
}

function joinBodies(kind: Kind, requests: OutRequest[]): OutRequest {
  const headers = requests[0].headers;
  const gzipped = headers['content-encoding'] === 'gzip';
  if (kind === 'proto') {
    const raw = Buffer.concat(requests.map((r) => (gzipped ? gunzipSync(r.body) : r.body)));
    return { headers, body: gzipped ? gzip(raw) : raw };
  }
  const inner = requests.map((r) => r.body.subarray(1, r.body.length - 1)).filter((b) => b.some((c) => c > 0x20));
  return { headers, body: Buffer.concat([Buffer.from('['), ...inner.flatMap((b, i) => (i ? [Buffer.from(','), b] : [b])), Buffer.from(']')]) };
}

const sameRequest = (a: Delivery, b: Delivery) =>
  a.upstream === b.upstream && JSON.stringify(a.requests[0].headers) === JSON.stringify(b.requests[0].headers) && JSON.stringify(a.credential) === JSON.stringify(b.credential);

/** Groups items in order: each group is one delivery of at most `max` spans (or one larger item alone). */
export function mergeDeliveries<T>(items: Array<{ dead: T; delivery: Delivery }>, max: number): Array<{ members: T[]; delivery: Delivery }> {
  const out: Array<{ members: T[]; delivery: Delivery }> = [];
  let group: Array<{ dead: T; delivery: Delivery }> = [];
  let kind: Kind | undefined;
  const flush = () => {
    if (!group.length) return;
    const first = group[0].delivery;
    const delivery: Delivery =
      group.length === 1
        ? first
        : {
            ...first,
            spans: group.reduce((n, g) => n + g.delivery.spans, 0),
            requests: [
              joinBodies(
                kind!,
                group.map((g) => g.delivery.requests[0]),
              ),
            ],
          };
    out.push({ members: group.map((g) => g.dead), delivery });
    group = [];
  };
  for (const item of items) {
    const k = kindOf(item.delivery);
    const spans = group.reduce((n, g) => n + g.delivery.spans, 0);
    const fits = k !== undefined && k === kind && group.length > 0 && sameRequest(group[0].delivery, item.delivery) && spans + item.delivery.spans <= max;
    if (!fits) flush();
    group.push(item);
    kind = k;
    if (k === undefined) flush();
  }
  flush();
  return out;
}
