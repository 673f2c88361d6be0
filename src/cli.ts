#!/usr/bin/env node
// tracebridge's command line: one function per command, errors printed as one clear line.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convert } from './commands/convert.js';
import { serve } from './commands/serve.js';
import { deadletter } from './commands/deadletter.js';
import { ConfigError } from './config/load.js';
import { DiskError } from './forward/disk.js';
import { DecodeError } from './wire/errors.js';
import { INPUT_FORMATS, parseFormat } from './wire/formats.js';
import { inspect } from './commands/inspect.js';
import { progressReporter, replay } from './commands/replay.js';
import { loadMappings, MappingError, PROFILES, type MappingOverrides } from './conventions/mappings.js';
import { translateBatch } from './conventions/translate.js';

const USAGE = `usage: tracebridge <command> [options]

commands:
  serve [--config FILE] [--listen HOST:PORT] [--weave URL] [--langtrace URL] [--otlp URL]
        [--weave-project ENTITY/PROJECT] [--data-dir DIR] [--log-level LEVEL] [--ack queue|upstream] [--workers N]
      Run the proxy (default 0.0.0.0:4318). With no upstream, batches go to a local sink under the data dir.
  deadletter <list|replay|purge> [--upstream NAME] [--id ID] [--config FILE] [--data-dir DIR]
      Batches an upstream refused for good, with the reason; replay resends them (with the upstream's
      configured key, if it has one) after you fix the cause.
  replay --to <weave|langtrace|otlp> URL [--rate SPANS/S] [--batch SPANS] [--checkpoint FILE]
         [--key KEY] [--weave-project ENTITY/PROJECT] [--from FORMAT] FILE_OR_DIR...
      Send exported traces (OTLP protobuf or JSON, JSON lines, Langtrace arrays; gzip or not) to a
      backend, translated for it. Resumable: interrupted, the same command continues where it stopped.
  inspect [--from FORMAT] [--json] [file]
      For each span: the convention found, and what Weave and Langtrace would show (model,
      messages, tokens, tools).
  convert [--from <otlp-proto|otlp-json|langtrace>] --to <otlp-proto|otlp-json|langtrace|langtrace-otlp-json>
          [--target <weave|langtrace|otel-genai|openinference> [--mappings overrides.json]] [input] [output]
      Convert a trace file between wire formats (stdin/stdout by default; --from is guessed when omitted),
      rewriting LLM attributes for the --target backend's convention when given.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'convert': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { from: { type: 'string' }, to: { type: 'string' }, target: { type: 'string' }, mappings: { type: 'string' } },
      });
      if (!values.to) throw new UsageError('convert needs --to');
      const target = values.target ? parseFormat(values.target, PROFILES, '--target') : undefined;
      const mappings = target ? loadMappings(values.mappings ? readOverrides(values.mappings) : undefined) : undefined;
      await convert({
        from: values.from,
        to: values.to,
        input: positionals[0],
        output: positionals[1],
        transform: target ? (b) => translateBatch(b, target, mappings) : undefined,
      });
      return 0;
    }
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: {
          config: { type: 'string' },
          listen: { type: 'string' },
          weave: { type: 'string' },
          langtrace: { type: 'string' },
          otlp: { type: 'string' },
          'weave-project': { type: 'string' },
          'data-dir': { type: 'string' },
          'log-level': { type: 'string' },
          ack: { type: 'string' },
          workers: { type: 'string' },
        },
      });
      await serve({
        config: values.config,
        listen: values.listen,
        weave: values.weave,
        langtrace: values.langtrace,
        otlp: values.otlp,
        weaveProject: values['weave-project'],
        dataDir: values['data-dir'],
        logLevel: values['log-level'],
        ack: values.ack,
        workers: values.workers,
      });
      return -1;
    }
    case 'deadletter': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, upstream: { type: 'string' }, id: { type: 'string' }, weave: { type: 'string' }, langtrace: { type: 'string' }, otlp: { type: 'string' }, 'weave-project': { type: 'string' } },
      });
      const action = positionals[0];
      if (!action || !['list', 'replay', 'purge'].includes(action)) throw new UsageError('deadletter needs list, replay or purge');
      return deadletter(
        action,
        { config: values.config, dataDir: values['data-dir'], upstream: values.upstream, id: values.id, weave: values.weave, langtrace: values.langtrace, otlp: values.otlp, weaveProject: values['weave-project'] },
        (line) => process.stdout.write(line + '\n'),
      );
    }
    case 'inspect': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { from: { type: 'string' }, json: { type: 'boolean' } } });
      const from = values.from ? parseFormat(values.from, INPUT_FORMATS, '--from format') : undefined;
      await inspect({ input: positionals[0], from, json: values.json }, (s) => process.stdout.write(s + '\n'));
      return 0;
    }
    case 'replay': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          to: { type: 'string' },
          rate: { type: 'string' },
          batch: { type: 'string' },
          checkpoint: { type: 'string' },
          key: { type: 'string' },
          'weave-project': { type: 'string' },
          from: { type: 'string' },
        },
      });
      const to = values.to;
      if (to !== 'weave' && to !== 'langtrace' && to !== 'otlp') throw new UsageError('replay needs --to weave, langtrace or otlp');
      const [url, ...inputs] = positionals;
      if (!url || !inputs.length) throw new UsageError('replay needs a URL and at least one file or folder');
      const num = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!(n > 0)) throw new UsageError(`${name} must be a positive number`);
        return n;
      };
      const key = values.key ?? (to === 'weave' ? process.env.WANDB_API_KEY : to === 'langtrace' ? process.env.LANGTRACE_API_KEY : undefined);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
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
        },
        progressReporter(process.stderr),
        stop.signal,
      );
      const reasons = Object.entries(summary.reasons).map(([r, n]) => `${n} ${r}`).join(', ');
      process.stdout.write(
        `replay: ${summary.spans} spans: ${summary.sent} sent, ${summary.rejected} rejected${reasons ? ` (${reasons})` : ''}, ${summary.skipped} already sent before` +
          (summary.interrupted ? '; interrupted: run the same command again to continue\n' : '\n'),
      );
      return summary.interrupted ? 130 : summary.rejected ? 1 : 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

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
      const known = err instanceof UsageError || err instanceof DecodeError || err instanceof MappingError || err instanceof ConfigError || err instanceof DiskError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(`tracebridge: ${(err as Error).message}\n`);
      if (err instanceof UsageError) process.stderr.write(USAGE);
      process.exit(known ? 2 : 1);
    },
  );
}
