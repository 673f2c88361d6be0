// Config file (YAML) + environment + flags → one validated Config. Flags win over the
// environment, the environment over the file, the file over defaults.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { loadMappings, MappingError } from '../conventions/mappings.js';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Flags {
  config?: string;
  listen?: string;
  weave?: string;
  langtrace?: string;
  otlp?: string;
  weaveProject?: string;
  dataDir?: string;
  logLevel?: string;
  ack?: string;
  workers?: string;
}

type Raw = Record<string, unknown>;
type RawUpstream = Raw & { name?: string; type?: string; auth?: Raw };

function readFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path}: expected a mapping at the top level`);
  return doc as Raw;
}

/** Sets (or adds) the upstream of a shortcut flag such as --weave URL. */
function shortcut(ups: RawUpstream[], type: 'weave' | 'langtrace' | 'otlp', url: string | undefined): void {
  if (!url) return;
  const existing = ups.find((u) => u.name === type) ?? ups.find((u) => u.type === type);
  if (existing) existing.url = url;
  else ups.push({ name: type, type, url });
}

function formatZod(err: ZodError): string {
  return err.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(config)'}: ${i.message}`).join('\n');
}

/** Just the data dir, for commands that only read it (no credentials needed). */
export function dataDirFrom(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): string {
  const file = flags.config ?? env.TRACEBRIDGE_CONFIG;
  const raw = file ? readFile(file) : {};
  const dir = flags.dataDir ?? env.TRACEBRIDGE_DATA_DIR ?? raw.dataDir;
  return typeof dir === 'string' && dir !== '' ? dir : configSchema.parse({}).dataDir;
}

export function loadConfig(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = flags.config ?? env.TRACEBRIDGE_CONFIG;
  const raw: Raw = file ? readFile(file) : {};
  const ups: RawUpstream[] = Array.isArray(raw.upstreams) ? (raw.upstreams as RawUpstream[]).map((u) => ({ ...u })) : [];
  if (raw.upstreams !== undefined && !Array.isArray(raw.upstreams)) throw new ConfigError('config: upstreams must be a list');

  const pick = (flag: string | undefined, envName: string, key: string) => {
    const v = flag ?? env[envName];
    if (v !== undefined && v !== '') raw[key] = v;
  };
  pick(flags.listen, 'TRACEBRIDGE_LISTEN', 'listen');
  pick(flags.dataDir, 'TRACEBRIDGE_DATA_DIR', 'dataDir');
  pick(flags.logLevel, 'TRACEBRIDGE_LOG_LEVEL', 'logLevel');
  pick(flags.ack, 'TRACEBRIDGE_ACK', 'ack');
  const workers = flags.workers ?? env.TRACEBRIDGE_WORKERS;
  if (workers !== undefined && workers !== '') raw.workers = /^\d+$/.test(workers) ? Number(workers) : workers;
  if (env.TRACEBRIDGE_INBOUND_KEYS) raw.inboundKeys = env.TRACEBRIDGE_INBOUND_KEYS.split(',').map((s) => s.trim()).filter(Boolean);

  shortcut(ups, 'weave', flags.weave ?? env.TRACEBRIDGE_WEAVE_URL);
  shortcut(ups, 'langtrace', flags.langtrace ?? env.TRACEBRIDGE_LANGTRACE_URL);
  shortcut(ups, 'otlp', flags.otlp ?? env.TRACEBRIDGE_OTLP_URL);
  const project = flags.weaveProject ?? env.TRACEBRIDGE_WEAVE_PROJECT;
  for (const u of ups) {
    if (u.type === 'weave' && project) u.project = project;
    // The backends' own keys from their usual variables, for that backend only.
    const own = u.type === 'weave' ? env.WANDB_API_KEY : u.type === 'langtrace' ? env.LANGTRACE_API_KEY : undefined;
    if (own && !(u.auth && u.auth.key)) u.auth = { ...(u.auth ?? {}), key: own };
  }
  raw.upstreams = ups.length ? ups : [{ name: 'local', type: 'sink' }];

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration${file ? ` (${file})` : ''}:\n${formatZod(parsed.error)}`);
  const config = parsed.data;
  checkCredentials(config);
  try {
    loadMappings(config.mappings);
  } catch (err) {
    if (err instanceof MappingError) throw new ConfigError(err.message);
    throw err;
  }
  return config;
}

/** Credentials must be decidable at start-up: a missing key is a config error, not a surprise later. */
function checkCredentials(config: Config): void {
  const senders = config.upstreams.filter((u) => u.type !== 'sink');
  for (const u of senders) {
    const a = u.auth;
    const envName = u.type === 'weave' ? 'WANDB_API_KEY' : u.type === 'langtrace' ? 'LANGTRACE_API_KEY' : undefined;
    if (a.mode === 'static' && !a.key) throw new ConfigError(`upstream "${u.name}": auth.mode static needs auth.key${envName ? ` (or ${envName})` : ''}`);
    if (a.mode === 'map' && !a.keys) throw new ConfigError(`upstream "${u.name}": auth.mode map needs auth.keys`);
    if (a.mode === 'auto' && senders.length > 1 && !a.key && u.type !== 'otlp')
      throw new ConfigError(
        `upstream "${u.name}" has no key of its own: set ${envName} or its auth.key. ` +
          `With several upstreams the inbound key is not passed on unless you say so (auth.mode: passthrough).`,
      );
  }
}
