// The Grafana dashboard queries only metrics tracebridge exports (with their real labels).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../src/observe/metrics.js';

t.test('every query of deploy/grafana/tracebridge.json names a metric tracebridge exports', async (t) => {
  const dash = JSON.parse(readFileSync(new URL('../../deploy/grafana/tracebridge.json', import.meta.url), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };
  const metrics = (await createMetrics().registry.getMetricsAsJSON()) as unknown as Array<{ name: string; type: string; values: unknown[] }>;
  const exported = new Map<string, string>();
  for (const m of metrics) {
    exported.set(m.name, m.type);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.set(m.name + s, m.type);
  }
  const registry = createMetrics();
  const labels = new Map<string, string[]>();
  for (const m of registry.registry.getMetricsAsArray() as unknown as Array<{ name: string; labelNames?: string[] }>) labels.set(m.name, m.labelNames ?? []);
  let queries = 0;
  for (const p of dash.panels)
    for (const target of p.targets) {
      queries++;
      const names = target.expr.match(/\b(tracebridge|process)_[a-z_]+\b/g) ?? [];
      t.ok(names.length, `${p.title}: the query names a metric`);
      for (const n of names) t.ok(exported.has(n), `${p.title}: ${n} is exported`);
      // Labels grouped by must exist on the metric (le on histogram buckets).
      const by =
        /by \(([^)]*)\)/
          .exec(target.expr)?.[1]
          .split(',')
          .map((s) => s.trim()) ?? [];
      for (const n of names) {
        const base = n.replace(/_(bucket|sum|count)$/, '');
        for (const l of by) if (l !== 'le') t.ok(labels.get(base)?.includes(l), `${p.title}: ${base} has the label ${l}`);
      }
    }
  t.ok(queries >= 10, `${queries} queries checked`);
});

t.test('the per-minute ring: counts land in their minute and age out after an hour', async (t) => {
  const { UpstreamActivity } = await import('../../src/observe/activity.js');
  const a = new UpstreamActivity();
  const t0 = Math.floor(Date.now() / 60_000) * 60_000;
  a.delivered.add(5, t0);
  a.delivered.add(2, t0 + 30_000);
  a.delivered.add(7, t0 + 60_000);
  const now = a.delivered.series(t0 + 60_000);
  t.equal(now.length, 60);
  t.same(now.slice(-2), [7, 7], 'the last two minutes: 5 + 2, then 7');
  t.equal(
    a.delivered.series(t0 + 60 * 60_000).reduce((x, y) => x + y, 0),
    7,
    'the first minute has aged out',
  );
  t.equal(
    a.delivered.series(t0 + 200 * 60_000).reduce((x, y) => x + y, 0),
    0,
    'hours later: nothing',
  );
});
