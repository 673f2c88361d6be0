// Structured logs (pino), JSON or text, on stderr: stdout keeps only the start lines. Secrets are
// redacted at the logger, so no call site can leak one. An upstream's repeated warnings and
// errors are summarised: the first of each reason is logged at once, the rest counted and
// logged as one line with the count at the end of the interval.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export type { Logger };

const SECRET_PATHS = ['authorization', 'x-api-key', 'wandb-api-key', 'proxy-authorization', 'cookie', 'key', 'apiKey'];

type LogFormat = 'json' | 'text';

interface LogOptions {
  format?: LogFormat;
  /** How long an upstream's repeated warning or error is counted before its summary line (default 30 s). */
  summaryMs?: number;
}

const LEVELS: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'service']);

/** One log object as one readable line: time, level, message, then key=value. */
export function textLine(record: Record<string, unknown>): string {
  const fields = Object.entries(record)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  return `${String(record.time ?? '')} ${LEVELS[String(record.level)] ?? String(record.level).toUpperCase()} ${String(record.msg ?? '')}${fields.length ? ' ' + fields.join(' ') : ''}\n`;
}

/** A stream taking pino's JSON lines and writing them as text lines to `out`. */
function textStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const text = chunk
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          try {
            return textLine(JSON.parse(l) as Record<string, unknown>);
          } catch {
            return l + '\n';
          }
        })
        .join('');
      out.write(text);
      done();
    },
  });
}

interface Repeat {
  count: number;
  spans: number;
  first: Record<string, unknown>;
  msg: string;
}

/** Why a line was logged, the same for each repetition of one failure (the elapsed time left out). */
function reasonOf(o: Record<string, unknown>): string {
  const why = o.reason ?? o.status ?? o.code ?? o.err ?? '';
  return String(why).replace(/; retried for \d+ s$/, '');
}

/** pino's logMethod hook: the first warning or error per upstream and reason goes out, the rest are counted. */
function summariser(summaryMs: number) {
  const repeats = new Map<string, Repeat>();
  return function logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void, level: number): void {
    const [obj, msg] = args as [unknown, unknown];
    if (level < 40 || typeof obj !== 'object' || obj === null || !('upstream' in obj) || typeof msg !== 'string') return method.apply(this, args);
    const o = obj as Record<string, unknown>;
    const key = `${String(o.upstream)}\0${msg}\0${reasonOf(o)}`;
    const seen = repeats.get(key);
    if (seen) {
      seen.count++;
      seen.spans += typeof o.spans === 'number' ? o.spans : 0;
      return;
    }
    const timer = setTimeout(() => {
      const r = repeats.get(key)!;
      repeats.delete(key);
      if (r.count === 0) return;
      const { spans: _spans, delayMs: _delay, ...rest } = r.first;
      const line = { ...rest, repeated: r.count, ...(r.spans ? { spans: r.spans } : {}), intervalMs: summaryMs };
      method.apply(this, [line, `${r.msg} (${r.count} more times in the last ${Math.round(summaryMs / 1000)} s)`]);
    }, summaryMs);
    timer.unref();
    repeats.set(key, { count: 0, spans: 0, first: o, msg });
    method.apply(this, args);
  };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream, options: LogOptions = {}): Logger {
  const out = options.format === 'text' ? textStream(destination ?? process.stderr) : (destination ?? pino.destination({ dest: 2, sync: false }));
  return pino(
    {
      level,
      base: { service: 'tracebridge' },
      redact: { paths: [...SECRET_PATHS, ...SECRET_PATHS.map((p) => `*.${p}`), ...SECRET_PATHS.map((p) => `*.*.${p}`)], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { logMethod: summariser(options.summaryMs ?? 30_000) },
    },
    out,
  );
}
