// `tracebridge migrate`'s command line: options parsed and checked, the run, its summary, its exit code.
import { join } from 'node:path';
import type { parseArgs } from 'node:util';
import { dataDirFrom } from '../config/load.js';
import { migrate, type MigrateSummary } from './migrate.js';
import { migrateArgs, type MigrateArgs } from './migrate/args.js';
import { dryRun } from './migrate/dry-run.js';
import { langtraceSource } from './migrate/langtrace-source.js';
import { SourceError, type HistorySource } from './migrate/source.js';
import { weaveSource } from './migrate/weave-source.js';
import { progressReporter } from './progress.js';
import { UsageError } from './usage.js';

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type Values = Record<string, string | boolean | undefined>;

interface Cli {
  parse(command: string, args: string[], options: Options, positionals?: boolean): { values: Values; positionals: string[] };
  out(s: string): void;
  line(s: string): void;
  help: string;
}

const OPTIONS = {
  from: { type: 'string' },
  project: { type: 'string' },
  'from-key': { type: 'string' },
  to: { type: 'string' },
  key: { type: 'string' },
  'weave-project': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  rate: { type: 'string' },
  batch: { type: 'string' },
  'dry-run': { type: 'boolean' },
  checkpoint: { type: 'string' },
  'data-dir': { type: 'string' },
} as const satisfies Options;

function positive(v: string | boolean | undefined, name: string, whole: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || (whole && !/^\d+$/.test(String(v)))) throw new UsageError(`${name} must be a positive ${whole ? 'whole ' : ''}number, got "${v}"`, 'migrate');
  return n;
}

function sourceFor(a: MigrateArgs): HistorySource {
  const o = { url: a.fromUrl, project: a.project, key: a.fromKey, window: a.window };
  return a.from === 'weave' ? weaveSource(o) : langtraceSource(o);
}

function summaryLine(label: string, s: MigrateSummary): string {
  const reasons = Object.entries(s.reasons)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  const unsent = s.read - s.sent - s.skipped - s.rejected;
  return (
    `migrate: ${label}: ${s.read} spans read: ${s.sent} sent, ${s.rejected} rejected${reasons ? ` (${reasons})` : ''}, ${s.skipped} already sent before` +
    (s.interrupted ? '; interrupted: run the same command again to continue' : s.sourceError || s.refusedKey ? '; stopped' : unsent > 0 ? `; ${unsent} not sent` : '')
  );
}

async function runDry(a: MigrateArgs, source: HistorySource, checkpoint: string, cli: Cli, signal: AbortSignal): Promise<number> {
  try {
    const c = await dryRun(source, { to: a.to, url: a.url, key: a.key, project: a.weaveProject, checkpoint }, cli.line, signal);
    cli.line(
      `migrate --dry-run: ${source.label}: ${c.spans} spans in ${c.traces} traces (${c.errors} failed), ${c.pages} pages; ${c.sentBefore} already sent before, ${c.spans - c.sentBefore} to send; nothing sent`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    if (signal.aborted) return 130;
    process.stderr.write(`migrate: stopped: ${err.message}\n`);
    return 1;
  }
}

export async function runMigrate(args: string[], cli: Cli): Promise<number> {
  const { values, positionals } = cli.parse('migrate', args, OPTIONS, true);
  if (values.help) return (cli.out(cli.help), 0);
  const a = migrateArgs(values, positionals, args);
  const rate = positive(values.rate, '--rate', false);
  const batchSpans = positive(values.batch, '--batch', true);
  const dataDir = dataDirFrom({ dataDir: values['data-dir'] as string | undefined });
  const checkpoint = (values.checkpoint as string | undefined) ?? join(dataDir, 'migrate-checkpoint.json');
  const source = sourceFor(a);
  const stop = new AbortController();
  // The first Ctrl-C lets a request on the wire finish (and be recorded); a second does not wait.
  const interrupt = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  if (values['dry-run']) return runDry(a, source, checkpoint, cli, stop.signal);
  const progress = progressReporter(process.stderr, 'migrate');
  const summary = await migrate({ to: a.to, url: a.url, key: a.key, project: a.weaveProject, source, rate, batchSpans, checkpoint }, progress, stop.signal);
  if (summary.sourceError) process.stderr.write(`migrate: stopped: ${summary.sourceError}\n`);
  cli.line(summaryLine(source.label, summary));
  if (summary.interrupted) return 130;
  return summary.sourceError || summary.refusedKey || summary.rejected || summary.read - summary.sent - summary.skipped > 0 ? 1 : 0;
}
