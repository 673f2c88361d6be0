// Where migrate sends: one upstream built as replay builds it (the proxy's translation, wire
// format and retry policy), and the name its progress is recorded under.
import { createHash } from 'node:crypto';
import { configSchema, type UpstreamConfig } from '../../config/schema.js';
import { endpointUrl } from '../../forward/prepare.js';
import { UsageError } from '../usage.js';

export type Target = 'weave' | 'langtrace' | 'otlp';

export interface DestinationOptions {
  to: Target;
  url: string;
  key?: string;
  project?: string;
}

export function upstreamOf(o: DestinationOptions): UpstreamConfig {
  const parsed = configSchema.safeParse({
    upstreams: [{ name: o.to, type: o.to, url: o.url, project: o.project, auth: o.key ? { mode: 'static', key: o.key } : { mode: 'none' } }],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const last = issue.path[issue.path.length - 1];
    const what = last === 'project' ? '--weave-project' : last === 'url' ? 'the --to URL' : issue.path.join('.');
    throw new UsageError(`migrate: ${what}: ${issue.message}`, 'migrate');
  }
  return parsed.data.upstreams[0];
}

/** Kind, URL (no user info) and project; a Langtrace key selects the project, so a fingerprint of it. */
export function destinationName(o: DestinationOptions, u: UpstreamConfig): string {
  const url = new URL(endpointUrl(u));
  url.username = '';
  url.password = '';
  const project = o.to === 'langtrace' && o.key ? `key sha256:${createHash('sha256').update(o.key).digest('hex').slice(0, 12)}` : (o.project ?? '');
  return `${o.to} ${url.toString()} ${project}`;
}

const KEY_VARIABLE = { weave: 'WANDB_API_KEY', langtrace: 'LANGTRACE_API_KEY', otlp: undefined } as const;

/** What to change after the destination refused the key. */
export function destinationKeyFix(to: Target, status: number): string {
  const key = KEY_VARIABLE[to] ? `--key KEY or ${KEY_VARIABLE[to]}` : '--key KEY';
  if (to === 'weave' && status === 403) return `the key cannot write to this project: check --weave-project ENTITY/PROJECT and the key (${key})`;
  return `check the destination key (${key})`;
}

/** Waits as long as `--rate` asks before sending `n` spans. */
export function pacer(rate: number | undefined): (n: number, signal?: AbortSignal) => Promise<void> {
  let nextAt = Date.now();
  return async (n, signal) => {
    if (!rate) return;
    const wait = nextAt - Date.now();
    if (wait > 0 && !signal?.aborted) await new Promise((r) => setTimeout(r, wait));
    nextAt = Math.max(nextAt, Date.now()) + (n / rate) * 1000;
  };
}
