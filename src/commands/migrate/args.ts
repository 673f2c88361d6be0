// migrate's command line checked: every mistake is one line (a UsageError, exit 2) naming the fix.
import { WEAVE_PROJECT } from '../../config/schema.js';
import { UsageError } from '../usage.js';
import type { Target } from './destination.js';
import { windowEdge, type Window } from './times.js';

type Values = Record<string, string | boolean | undefined>;

export interface MigrateArgs {
  from: 'weave' | 'langtrace';
  fromUrl: string;
  project: string;
  fromKey: string;
  to: Target;
  url: string;
  key?: string;
  weaveProject?: string;
  window: Window;
}

const KEY_VARIABLE = { weave: 'WANDB_API_KEY', langtrace: 'LANGTRACE_API_KEY', otlp: undefined } as const;
const isUrl = (s: string | undefined) => s !== undefined && /^https?:\/\/[^/\s]/i.test(s) && URL.canParse(s);
const fail = (message: string): never => {
  throw new UsageError(message, 'migrate');
};

/** The argument right after `--flag VALUE` (or `--flag=VALUE`): where the backend's URL goes. */
function urlAfter(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${flag}`) return args[i + 2];
    if (args[i].startsWith(`--${flag}=`)) return args[i + 1];
  }
  return undefined;
}

function checkUrl(url: string | undefined, flag: string, value: string): string {
  if (!isUrl(url)) fail(`migrate --${flag} ${value} needs the backend's URL (http:// or https://) after it${url && !url.startsWith('-') ? `, got "${url}"` : ''}`);
  return url!;
}

function windowOf(values: Values): Window {
  const edge = (name: 'since' | 'until') => {
    const v = values[name] as string | undefined;
    if (v === undefined) return undefined;
    const ns = windowEdge(v);
    if (ns === undefined) fail(`--${name} must be an ISO 8601 date or time (2025-01-31 or 2025-01-31T12:00:00Z), got "${v}"`);
    return ns;
  };
  const w = { since: edge('since'), until: edge('until') };
  if (w.since !== undefined && w.until !== undefined && w.since >= w.until) fail('--since must be before --until');
  return w;
}

/** Where to read: backend, URL, project and the key to read with. */
function sourceOf(values: Values, args: string[], env: NodeJS.ProcessEnv) {
  const from = values.from;
  if (from !== 'weave' && from !== 'langtrace') fail('migrate needs --from weave URL or --from langtrace URL (the backend to read the history from)');
  const source = from as 'weave' | 'langtrace';
  const fromUrl = checkUrl(urlAfter(args, 'from'), 'from', source);
  const project = values.project as string | undefined;
  if (!project)
    fail(
      source === 'weave'
        ? 'migrate --from weave needs --project ENTITY/PROJECT (the Weave project to read)'
        : "migrate --from langtrace needs --project PROJECT_ID (the Langtrace project's id)",
    );
  if (source === 'weave' && !WEAVE_PROJECT.test(project!)) fail(`migrate --from weave: --project must be ENTITY/PROJECT, got "${project}"`);
  const fromKey = (values['from-key'] as string | undefined) || env[KEY_VARIABLE[source]] || '';
  if (!fromKey) fail(`migrate --from ${source} needs a key to read with: --from-key KEY or ${KEY_VARIABLE[source]}`);
  return { from: source, fromUrl, project: project!, fromKey };
}

/** Where to send: backend, URL, key and Weave project. A dry run sends nothing, so needs no key. */
function destinationOf(values: Values, args: string[], env: NodeJS.ProcessEnv, dryRun: boolean) {
  const to = values.to;
  if (to !== 'weave' && to !== 'langtrace' && to !== 'otlp') fail('migrate needs --to weave URL, --to langtrace URL or --to otlp URL (the backend to send to)');
  const target = to as Target;
  const url = checkUrl(urlAfter(args, 'to'), 'to', target);
  const variable = KEY_VARIABLE[target];
  const key = (values.key as string | undefined) || (variable ? env[variable] : undefined) || undefined;
  if (variable && !key && !dryRun) fail(`migrate --to ${target} needs a key to send with: --key KEY or ${variable}`);
  const weaveProject = target === 'weave' ? (values['weave-project'] as string | undefined) || env.TRACEBRIDGE_WEAVE_PROJECT || undefined : undefined;
  if (target === 'weave' && !weaveProject) fail('migrate --to weave needs --weave-project ENTITY/PROJECT (or TRACEBRIDGE_WEAVE_PROJECT): the project to write to');
  return { to: target, url, key, weaveProject };
}

export function migrateArgs(values: Values, positionals: string[], args: string[], env: NodeJS.ProcessEnv = process.env): MigrateArgs {
  const source = sourceOf(values, args, env);
  const dest = destinationOf(values, args, env, values['dry-run'] === true);
  const extra = positionals.filter((p) => p !== source.fromUrl && p !== dest.url);
  if (extra.length) fail(`migrate takes no argument "${extra[0]}": the URLs go right after --from BACKEND and --to BACKEND`);
  return { ...source, ...dest, window: windowOf(values) };
}
