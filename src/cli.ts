#!/usr/bin/env node
// tracebridge's command line: one function per command, errors printed as one clear line.
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convert } from './commands/convert.js';
import { serve, SERVE_HELP } from './commands/serve.js';
import { validate, VALIDATE_HELP } from './commands/validate.js';
import { deadletter } from './commands/deadletter.js';
import { ConfigError, dataDirFrom, type Flags } from './config/load.js';
import { DiskError } from './forward/disk.js';
import { DecodeError } from './wire/errors.js';
import { INPUT_FORMATS, parseFormat } from './wire/formats.js';
import { inspect } from './commands/inspect.js';
import { replay, type ReplaySummary } from './commands/replay.js';
import { progressReporter } from './commands/progress.js';
import { HELP as COMMAND_HELP, USAGE as COMMAND_USAGE } from './commands/help.js';
import { runMigrate } from './commands/migrate-cli.js';
import { MIGRATE_HELP } from './commands/migrate/help.js';
import { UsageError } from './commands/usage.js';
import { loadMappings, MappingError, PROFILES, type MappingOverrides } from './conventions/mappings.js';
import { translateBatch } from './conventions/translate.js';
import { VERSION } from './version.js';
import { nearest } from './config/problems.js';

const HELP: Record<string, string> = { ...COMMAND_HELP, migrate: MIGRATE_HELP, serve: SERVE_HELP, validate: VALIDATE_HELP };
const USAGE = COMMAND_USAGE.replace('  deadletter ', "  migrate      copy a project's history from Weave or Langtrace to another backend\n  deadletter ").replace(
  '  convert ',
  '  validate     check the configuration serve would run with, without starting it\n  convert ',
);

/** Options each command takes (besides --help), for parseArgs. */
type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type Values = Record<string, string | boolean | undefined>;

/** Hints for options people reach for from other tools. */
const HINTS: Record<string, string> = {
  '--port': '--listen HOST:PORT',
  '--host': '--listen HOST:PORT',
  '--output': 'a second positional argument',
  '--format': '--to FORMAT',
  '--api-key': '--key KEY',
};

/** Where the config, the data and the upstreams are: serve and deadletter take these alike. */
const CONFIG_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  weave: { type: 'string' },
  langtrace: { type: 'string' },
  otlp: { type: 'string' },
  'weave-project': { type: 'string' },
} as const satisfies Options;

function configFlags(values: Record<string, string | undefined>): Flags {
  return {
    config: values.config,
    dataDir: values['data-dir'],
    weave: values.weave,
    langtrace: values.langtrace,
    otlp: values.otlp,
    weaveProject: values['weave-project'],
  };
}

/** Parses a command's arguments; an unknown option names the closest known one. */
function parse(command: string, args: string[], options: Options, positionals = false): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, allowPositionals: positionals, options: { ...options, help: { type: 'boolean', short: 'h' } } }) as { values: Values; positionals: string[] };
  } catch (err) {
    const e = err as { code?: string; message: string };
    // Node's own messages run over several lines (with advice on `--`): the first says it.
    const first = e.message.split('\n')[0];
    if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(first, command);
    const flag = /'(-{1,2}[^'\s]+)'/.exec(e.message)?.[1] ?? '';
    const known = Object.keys(options ?? {}).map((k) => `--${k}`);
    const hint = HINTS[flag] ?? nearest(flag, known);
    throw new UsageError(`unknown option ${flag} for ${command}${hint ? `; did you mean ${hint}?` : ''}`, command);
  }
}

const out = (s: string) => process.stdout.write(s);
const line = (s: string) => process.stdout.write(s + '\n');

async function runConvert(args: string[]): Promise<number> {
  const { values, positionals } = parse('convert', args, { from: { type: 'string' }, to: { type: 'string' }, target: { type: 'string' }, mappings: { type: 'string' } }, true);
  if (values.help) return (out(HELP.convert), 0);
  if (!values.to) throw new UsageError('convert needs --to FORMAT', 'convert');
  if (positionals.length > 2)
    throw new UsageError(`convert takes one input (a file, a folder or -) and one output, not ${positionals.length} arguments: put several inputs in one folder`, 'convert');
  const target = values.target ? parseFormat(values.target as string, PROFILES, '--target') : undefined;
  const mappings = target ? loadMappings(values.mappings ? readOverrides(values.mappings as string) : undefined) : undefined;
  await convert({
    from: values.from as string | undefined,
    to: values.to as string,
    input: positionals[0],
    output: positionals[1],
    transform: target ? (b) => translateBatch(b, target, mappings) : undefined,
  });
  return 0;
}

/** serve's options; validate takes the same, to check what serve would run with. */
const SERVE_OPTIONS = {
  ...CONFIG_OPTIONS,
  listen: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'otlp-traces-url': { type: 'string' },
  ack: { type: 'string' },
  workers: { type: 'string' },
  'grpc-listen': { type: 'string' },
  nats: { type: 'string' },
} as const satisfies Options;

function serveFlags(values: Record<string, string | undefined>): Flags {
  const { listen, ack, workers } = values;
  return {
    ...configFlags(values),
    listen,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    tlsClientCa: values['tls-client-ca'],
    ack,
    workers,
    logLevel: values['log-level'],
    logFormat: values['log-format'],
    otlpTracesUrl: values['otlp-traces-url'],
    grpcListen: values['grpc-listen'],
    nats: values.nats,
  };
}

async function runServe(args: string[]): Promise<number> {
  const { values: v } = parse('serve', args, SERVE_OPTIONS);
  if (v.help) return (out(HELP.serve), 0);
  await serve(serveFlags(v as Record<string, string | undefined>));
  return -1;
}

async function runValidate(args: string[]): Promise<number> {
  const { values: v } = parse('validate', args, SERVE_OPTIONS);
  if (v.help) return (out(HELP.validate), 0);
  return validate(serveFlags(v as Record<string, string | undefined>), out, (s) => process.stderr.write(s));
}

const DEADLETTER_ACTIONS = ['list', 'replay', 'purge'];

async function runDeadletter(args: string[]): Promise<number> {
  const options = {
    ...CONFIG_OPTIONS,
    upstream: { type: 'string' },
    id: { type: 'string' },
    batch: { type: 'string' },
    yes: { type: 'boolean' },
    nats: { type: 'string' },
  } as const satisfies Options;
  const { values: v, positionals } = parse('deadletter', args, options, true);
  const action = positionals[0];
  const known = action !== undefined && DEADLETTER_ACTIONS.includes(action);
  if (v.help) return (out(HELP[known ? `deadletter ${action}` : 'deadletter']), 0);
  if (!known) throw new UsageError(action ? `unknown deadletter action "${action}": list, replay or purge` : 'deadletter needs list, replay or purge', 'deadletter');
  if (positionals.length > 1) throw new UsageError(`deadletter ${action} takes no argument after the action (got "${positionals[1]}")`, `deadletter ${action}`);
  const values = v as Record<string, string | undefined>;
  const batch = count(values.batch, '--batch', `deadletter ${action}`);
  return deadletter(action, { ...configFlags(values), nats: values.nats, upstream: values.upstream, id: values.id, batch, yes: v.yes === true }, line);
}

async function runInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse('inspect', args, { from: { type: 'string' }, json: { type: 'boolean' }, redact: { type: 'string' } }, true);
  if (values.help) return (out(HELP.inspect), 0);
  const from = values.from ? parseFormat(values.from as string, INPUT_FORMATS, '--from format') : undefined;
  const redact = typeof values.redact === 'string' ? { patterns: values.redact.split(',').filter(Boolean) } : undefined;
  await inspect({ inputs: positionals, from, json: values.json as boolean | undefined, redact }, line);
  return 0;
}

/** A positive whole number of spans, or undefined when not given. */
function count(v: string | undefined, name: string, command: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${name} must be a positive whole number, got "${v}"`, command);
  return Number(v);
}

function positive(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new UsageError(`${name} must be a positive number, got "${v}"`, 'replay');
  return n;
}

const isUrl = (s: string | undefined) => s !== undefined && /^https?:\/\/[^/\s]/i.test(s) && URL.canParse(s);
const KEY_VARIABLE = { weave: 'WANDB_API_KEY', langtrace: 'LANGTRACE_API_KEY', otlp: undefined } as const;

/** Checks replay's arguments: every mistake is one line naming the fix. */
function replayTarget(values: Record<string, string | undefined>, positionals: string[]): { to: 'weave' | 'langtrace' | 'otlp'; url: string; inputs: string[]; key?: string } {
  const to = values.to;
  if (to !== 'weave' && to !== 'langtrace' && to !== 'otlp') throw new UsageError('replay needs --to weave, langtrace or otlp', 'replay');
  const [url, ...inputs] = positionals;
  if (!isUrl(url)) {
    const swapped = positionals.findIndex(isUrl) > 0;
    throw new UsageError(
      swapped
        ? `replay: the URL comes first, then the files: replay --to ${to} URL FILE_OR_DIR...`
        : `replay needs the backend's URL (http:// or https://) before the files${url ? `, got "${url}"` : ''}`,
      'replay',
    );
  }
  if (!inputs.length) throw new UsageError('replay needs at least one file or folder after the URL', 'replay');
  const variable = KEY_VARIABLE[to];
  const key = values.key || (variable ? process.env[variable] : undefined) || undefined;
  if (variable && !key) throw new UsageError(`replay --to ${to} needs a key: --key KEY or ${variable}`, 'replay');
  return { to, url: url!, inputs, key };
}

function replaySummaryLine(s: ReplaySummary): string {
  const reasons = Object.entries(s.reasons)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  const unsent = s.spans - s.sent - s.rejected - s.skipped - s.skippedRejected;
  return (
    `replay: ${s.spans} spans: ${s.sent} sent, ${s.rejected} rejected${reasons ? ` (${reasons})` : ''}, ${s.skipped} already sent before` +
    (s.skippedRejected ? `, ${s.skippedRejected} rejected before and skipped` : '') +
    (s.interrupted ? '; interrupted: run the same command again to continue' : unsent > 0 ? `; ${unsent} not sent` : '')
  );
}

async function runReplay(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(
    'replay',
    args,
    {
      to: { type: 'string' },
      rate: { type: 'string' },
      batch: { type: 'string' },
      checkpoint: { type: 'string' },
      'data-dir': { type: 'string' },
      key: { type: 'string' },
      'weave-project': { type: 'string' },
      from: { type: 'string' },
      'max-retry-seconds': { type: 'string' },
      'skip-rejected': { type: 'boolean' },
    },
    true,
  );
  if (v.help) return (out(HELP.replay), 0);
  const values = v as Record<string, string | undefined>;
  const target = replayTarget(values, positionals);
  const dataDir = dataDirFrom({ dataDir: values['data-dir'] });
  const retrySeconds = positive(values['max-retry-seconds'], '--max-retry-seconds');
  const options = {
    ...target,
    project: values['weave-project'] ?? process.env.TRACEBRIDGE_WEAVE_PROJECT,
    rate: positive(values.rate, '--rate'),
    batchSpans: count(values.batch, '--batch', 'replay'),
    checkpoint: values.checkpoint ?? join(dataDir, 'replay-checkpoint.json'),
    exclude: dataDir,
    skipRejected: v['skip-rejected'] === true,
    from: values.from ? parseFormat(values.from, INPUT_FORMATS, '--from format') : undefined,
    retry: retrySeconds ? { maxElapsedMs: retrySeconds * 1000 } : undefined,
  };
  const stop = new AbortController();
  // The first Ctrl-C lets a request on the wire finish (and be recorded); a second one does not
  // wait for it, so that request may be sent again by the next run.
  const interrupt = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const summary = await replay(options, progressReporter(process.stderr), stop.signal);
  line(replaySummaryLine(summary));
  const unsent = summary.spans - summary.sent - summary.skipped - summary.skippedRejected;
  return summary.interrupted ? 130 : unsent ? 1 : 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  convert: runConvert,
  serve: runServe,
  deadletter: runDeadletter,
  inspect: runInspect,
  replay: runReplay,
  validate: runValidate,
  migrate: (args) => runMigrate(args, { parse, out, line, help: MIGRATE_HELP }),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && COMMANDS[command]) return COMMANDS[command](rest);
  switch (command) {
    case '--version':
    case '-v':
    case 'version':
      out(`tracebridge ${VERSION}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      out(rest[0] && HELP[rest.join(' ')] ? HELP[rest.join(' ')] : rest[0] && HELP[rest[0]] ? HELP[rest[0]] : USAGE);
      return 0;
    case undefined:
      throw new UsageError(`no command given: ${Object.keys(COMMANDS).join(', ')}`);
    default: {
      const near = nearest(command, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${command}"${near ? `; did you mean ${near}?` : ''}`);
    }
  }
}

function readOverrides(file: string): MappingOverrides {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MappingError(`cannot read mapping overrides ${file}: ${(err as Error).message}`);
  }
}

/** One line for any failure; exit 2 for what the user can fix in the command or its input. */
function report(err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code;
  // A file that is not there or cannot be read is the user's to fix, like any other bad input.
  const file = code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR';
  const zod = (err as Error).name === 'ZodError';
  const known = err instanceof UsageError || err instanceof DecodeError || err instanceof MappingError || err instanceof ConfigError || err instanceof DiskError || file || zod;
  let message = (err as Error).message;
  if (file)
    message = `cannot read ${(err as NodeJS.ErrnoException).path ?? 'the file'}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'permission denied'}`;
  else if (zod) message = (err as { issues: Array<{ path: unknown[]; message: string }> }).issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  const help = err instanceof UsageError ? ` (see tracebridge ${err.command ? `${err.command} ` : ''}--help)` : '';
  process.stderr.write(`tracebridge: ${message}${help}\n`);
  process.exit(known ? 2 : 1);
}

// Run when executed (directly or through the npm bin link), not when imported by tests.
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    // serve keeps running; every other command exits with its code.
    if (code >= 0) process.exit(code);
  }, report);
}
