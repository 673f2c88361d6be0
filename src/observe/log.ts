// Structured JSON logs (pino). Secrets are redacted at the logger, so no call site can leak one.
import { pino, type Logger } from 'pino';

export type { Logger };

const SECRET_PATHS = ['authorization', 'x-api-key', 'wandb-api-key', 'proxy-authorization', 'cookie', 'key', 'apiKey'];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tracebridge' },
      redact: { paths: [...SECRET_PATHS, ...SECRET_PATHS.map((p) => `*.${p}`), ...SECRET_PATHS.map((p) => `*.*.${p}`)], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
