#!/usr/bin/env node
// tracebridge's command line: one function per command, errors printed as one clear line.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convert } from './commands/convert.js';
import { serve } from './commands/serve.js';
import { deadletter } from './commands/deadletter.js';
import { ConfigError, type Flags } from './config/load.js';
import { DiskError } from './forward/disk.js';
import { DecodeError } from './wire/errors.js';
import { INPUT_FORMATS, parseFormat } from './wire/formats.js';
import { inspect } from './commands/inspect.js';
import { progressReporter, replay } from './commands/replay.js';
import { loadMappings, MappingError, PROFILES, type MappingOverrides } from './conventions/mappings.js';
import { translateBatch } from './conventions/translate.js';
import { VERSION } from './version.js';

/** Each command's usage: printed by `--help`, and after a usage error. */
const HELP: Record<string, string> = {
  serve: `usage: tracebridge serve [options]

Run the proxy: OTLP/HTTP, OTLP/gRPC and Langtrace's /api/trace in, every configured backend out.
With no upstream, batches go to a local sink under the data dir.

options:
  --config FILE                  YAML config file (TRACEBRIDGE_CONFIG)
  --listen HOST:PORT             where to listen for OTLP/HTTP (default 0.0.0.0:4318; TRACEBRIDGE_LISTEN)
  --grpc-listen HOST:PORT|off    where to listen for OTLP/gRPC (default 0.0.0.0:4317; TRACEBRIDGE_GRPC_LISTEN)
  --weave URL                    a W&B Weave upstream (TRACEBRIDGE_WEAVE_URL)
  --weave-project ENTITY/PROJECT the Weave project when a request names none
  --langtrace URL                a Langtrace upstream (TRACEBRIDGE_LANGTRACE_URL)
  --otlp URL                     any other OTLP/HTTP backend (TRACEBRIDGE_OTLP_URL)
  --data-dir DIR                 queues, dead letters, sink (default ./tracebridge-data)
  --ack queue|upstream           answer once journalled (default) or once the backends answered
  --workers N                    worker threads for decoding and translation (default 0)
  --log-level LEVEL              fatal, error, warn, info (default), debug, trace, silent
  -h, --help                     this help
`,
  convert: `usage: tracebridge convert [options] [input] [output]

Convert a trace file between wire formats (stdin and stdout by default), rewriting LLM
attributes for a backend's convention with --target.

options:
  --from otlp-proto|otlp-json|langtrace     input format (guessed when omitted)
  --to otlp-proto|otlp-json|langtrace|langtrace-otlp-json   output format (required)
  --target weave|langtrace|otel-genai|openinference         rewrite LLM attributes for this target
  --mappings FILE                           overrides for the key tables (JSON)
  -h, --help                                this help
`,
  inspect: `usage: tracebridge inspect [options] [file]

For each span: the convention found, and what Weave and Langtrace would show (span type,
model, messages with their images, tool calls and results, tokens, vendor).

options:
  --from otlp-proto|otlp-json|langtrace   input format (guessed when omitted)
  --json                                  the same as JSON
  -h, --help                              this help
`,
  replay: `usage: tracebridge replay --to weave|langtrace|otlp URL [options] FILE_OR_DIR...

Send exported traces (OTLP protobuf or JSON, JSON lines, Langtrace arrays; gzip or not) to a
backend, translated for it. Resumable: interrupted, the same command continues where it stopped.

options:
  --to weave|langtrace|otlp URL   the backend (required)
  --key KEY                       its key (default WANDB_API_KEY or LANGTRACE_API_KEY)
  --weave-project ENTITY/PROJECT  the Weave project
  --rate SPANS/S                  at most this many spans per second
  --batch SPANS                   spans per request (default 500)
  --max-retry-seconds S           stop retrying a batch after this long (default 300)
  --checkpoint FILE               where progress is kept (default .tracebridge-replay.json)
  --from FORMAT                   input format (guessed when omitted)
  -h, --help                      this help

exit codes: 0 all sent, 1 some rejected, 2 usage error, 130 interrupted
`,
  deadletter: `usage: tracebridge deadletter list|replay|purge [options]

Batches an upstream refused for good (or that ran out of retries or room), with the reason;
replay resends them (with the upstream's configured key, if it has one) after you fix the cause.

options:
  --upstream NAME     only this upstream's
  --id ID             only this batch
  --config FILE       the proxy's config file (for its upstreams and data dir)
  --data-dir DIR      the proxy's data dir
  -h, --help          this help
`,
};

const USAGE = `usage: tracebridge <command> [options]

commands:
  serve        run the proxy
  convert      convert a trace file between wire formats and conventions
  inspect      show what Weave and Langtrace would display for each span
  replay       send exported traces to a backend (migration)
  deadletter   list, resend or purge batches a backend refused

Run \`tracebridge <command> --help\` for a command's options; \`tracebridge --version\` for the version.
`;

/** Options each command takes (besides --help), for parseArgs. */
type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

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

/** Parses a command's arguments; --help prints its usage; an unknown option names the closest known one. */
function parse(command: string, args: string[], options: Options, positionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args, allowPositionals: positionals, options: { ...options, help: { type: 'boolean', short: 'h' } } }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    };
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && e.code !== 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(e.message, command);
    const flag = /'(-{1,2}[^'\s]+)'/.exec(e.message)?.[1] ?? '';
    const known = Object.keys(options ?? {}).map((k) => `--${k}`);
    const hint = HINTS[flag] ?? closest(flag, known);
    throw new UsageError(e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${flag} for ${command}${hint ? `; did you mean ${hint}?` : ''}` : e.message, command);
  }
}

/** The known option nearest by edit distance, if near enough to be a typo. */
function closest(flag: string, known: string[]): string | undefined {
  const d = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return row[b.length];
  };
  const best = known.map((k) => [k, d(flag, k)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 3 ? best[0] : undefined;
}

const out = (s: string) => process.stdout.write(s);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'convert': {
      const { values, positionals } = parse(command, rest, { from: { type: 'string' }, to: { type: 'string' }, target: { type: 'string' }, mappings: { type: 'string' } }, true);
      if (values.help) return (out(HELP.convert), 0);
      if (!values.to) throw new UsageError('convert needs --to', command);
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
    case 'serve': {
      const { values: v } = parse(command, rest, {
        ...CONFIG_OPTIONS,
        listen: { type: 'string' },
        'log-level': { type: 'string' },
        ack: { type: 'string' },
        workers: { type: 'string' },
        'grpc-listen': { type: 'string' },
      });
      if (v.help) return (out(HELP.serve), 0);
      const values = v as Record<string, string | undefined>;
      await serve({
        ...configFlags(values),
        listen: values.listen,
        logLevel: values['log-level'],
        ack: values.ack,
        workers: values.workers,
        grpcListen: values['grpc-listen'],
      });
      return -1;
    }
    case 'deadletter': {
      const { values: v, positionals } = parse(command, rest, { ...CONFIG_OPTIONS, upstream: { type: 'string' }, id: { type: 'string' } }, true);
      if (v.help) return (out(HELP.deadletter), 0);
      const values = v as Record<string, string | undefined>;
      const action = positionals[0];
      if (!action || !['list', 'replay', 'purge'].includes(action)) throw new UsageError('deadletter needs list, replay or purge', command);
      return deadletter(action, { ...configFlags(values), upstream: values.upstream, id: values.id }, (line) => process.stdout.write(line + '\n'));
    }
    case 'inspect': {
      const { values, positionals } = parse(command, rest, { from: { type: 'string' }, json: { type: 'boolean' } }, true);
      if (values.help) return (out(HELP.inspect), 0);
      const from = values.from ? parseFormat(values.from as string, INPUT_FORMATS, '--from format') : undefined;
      await inspect({ input: positionals[0], from, json: values.json as boolean | undefined }, (s) => process.stdout.write(s + '\n'));
      return 0;
    }
    case 'replay': {
      const { values: v, positionals } = parse(
        command,
        rest,
        {
          to: { type: 'string' },
          rate: { type: 'string' },
          batch: { type: 'string' },
          checkpoint: { type: 'string' },
          key: { type: 'string' },
          'weave-project': { type: 'string' },
          from: { type: 'string' },
          'max-retry-seconds': { type: 'string' },
        },
        true,
      );
      if (v.help) return (out(HELP.replay), 0);
      const values = v as Record<string, string | undefined>;
      const to = values.to;
      if (to !== 'weave' && to !== 'langtrace' && to !== 'otlp') throw new UsageError('replay needs --to weave, langtrace or otlp', command);
      const [url, ...inputs] = positionals;
      if (!url || !inputs.length) throw new UsageError('replay needs a URL and at least one file or folder', command);
      const num = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!(n > 0)) throw new UsageError(`${name} must be a positive number`, command);
        return n;
      };
      const key = values.key ?? (to === 'weave' ? process.env.WANDB_API_KEY : to === 'langtrace' ? process.env.LANGTRACE_API_KEY : undefined);
      const stop = new AbortController();
      // The first Ctrl-C lets a request on the wire finish; a second one does not wait for it (the
      // checkpoint holds every batch already sent).
      const interrupt = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
      process.on('SIGINT', interrupt);
      process.on('SIGTERM', interrupt);
      const summary = await replay(
        {
          to,
          url,
          inputs,
          key,
          project: values['weave-project'] ?? process.env.TRACEBRIDGE_WEAVE_PROJECT,
          rate: num(values.rate, '--rate'),
          batchSpans: num(values.batch, '--batch'),
          checkpoint: values.checkpoint,
          from: values.from ? parseFormat(values.from, INPUT_FORMATS, '--from format') : undefined,
          retry: values['max-retry-seconds'] ? { maxElapsedMs: num(values['max-retry-seconds'], '--max-retry-seconds')! * 1000 } : undefined,
        },
        progressReporter(process.stderr),
        stop.signal,
      );
      const reasons = Object.entries(summary.reasons)
        .map(([r, n]) => `${n} ${r}`)
        .join(', ');
      process.stdout.write(
        `replay: ${summary.spans} spans: ${summary.sent} sent, ${summary.rejected} rejected${reasons ? ` (${reasons})` : ''}, ${summary.skipped} already sent before` +
          (summary.interrupted ? '; interrupted: run the same command again to continue\n' : '\n'),
      );
      return summary.interrupted ? 130 : summary.rejected ? 1 : 0;
    }
    case '--version':
    case '-v':
    case 'version':
      out(`tracebridge ${VERSION}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      out(rest[0] && HELP[rest[0]] ? HELP[rest[0]] : USAGE);
      return 0;
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    default:
      throw new UsageError(`unknown command "${command}"${closest(command, Object.keys(HELP)) ? `; did you mean ${closest(command, Object.keys(HELP))}?` : ''}`);
  }
}

class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

function readOverrides(file: string): MappingOverrides {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MappingError(`cannot read mapping overrides ${file}: ${(err as Error).message}`);
  }
}

// Run when executed (directly or through the npm bin link), not when imported by tests.
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      // serve keeps running; every other command exits with its code.
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      // A file that is not there or cannot be read is the user's to fix, like any other bad input.
      const file = code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR';
      const known =
        err instanceof UsageError ||
        err instanceof DecodeError ||
        err instanceof MappingError ||
        err instanceof ConfigError ||
        err instanceof DiskError ||
        file ||
        code?.startsWith('ERR_PARSE_ARGS');
      const message = file
        ? `cannot read ${(err as NodeJS.ErrnoException).path ?? 'the file'}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'permission denied'}`
        : (err as Error).message;
      process.stderr.write(`tracebridge: ${message}\n`);
      if (err instanceof UsageError) process.stderr.write(err.command && HELP[err.command] ? HELP[err.command] : USAGE);
      process.exit(known ? 2 : 1);
    },
  );
}
