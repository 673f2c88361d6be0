// Config file (YAML) + environment + flags → one validated Config. Flags win over the
// environment, the environment over the file, the file over defaults.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadMappings, MappingError } from '../conventions/mappings.js';
import { configSchema, isGrpc, type Config } from './schema.js';
import { zodProblems } from './problems.js';

/** One or more problems, each a line of its own. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'));
    this.problems = list;
  }
}

export interface Flags {
  config?: string;
  listen?: string;
  /** Receiver TLS: the certificate, its key, the CA client certificates must chain to (mTLS). */
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  weave?: string;
  langtrace?: string;
  otlp?: string;
  /** An exact OTLP traces URL (no /v1/traces added). */
  otlpTracesUrl?: string;
  weaveProject?: string;
  dataDir?: string;
  logLevel?: string;
  logFormat?: string;
  ack?: string;
  workers?: string;
  grpcListen?: string;
  /** NATS servers, comma-separated: JetStream as the durable layer. */
  nats?: string;
}

type Raw = Record<string, unknown>;
type RawUpstream = Raw & { name?: string; type?: string; auth?: Raw };

/**
 * `${VAR}`, `${VAR:-default}` and the Collector's `${env:VAR}` in the config text, from the
 * environment, so a key can live in a Secret rather than the file. An unset variable without a
 * default is an error naming it; `$${…}` stays literal.
 */
function expandEnv(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/\$(\$?)\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, escaped: string, name: string, fallback: string | undefined) => {
    if (escaped) return whole.slice(1);
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`${where}: \${${name}} is not set in the environment (give a default with \${${name}:-value})`);
  });
}

function readFile(path: string, env: NodeJS.ProcessEnv = process.env): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Comments may mention ${VAR} without it being set.
  text = text
    .split('\n')
    .map((line) => (/^\s*#/.test(line) ? line : expandEnv(line, env, `config file ${path}`)))
    .join('\n');
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

/** --tls-cert, --tls-key, --tls-client-ca and their TRACEBRIDGE_TLS_* twins, each over the file's `tls` field. */
function receiverTls(raw: Raw, flags: Flags, env: NodeJS.ProcessEnv): void {
  const given: Array<[string, string | undefined]> = [
    ['cert', flags.tlsCert ?? env.TRACEBRIDGE_TLS_CERT],
    ['key', flags.tlsKey ?? env.TRACEBRIDGE_TLS_KEY],
    ['clientCa', flags.tlsClientCa ?? env.TRACEBRIDGE_TLS_CLIENT_CA],
  ];
  const set = given.filter(([, v]) => v !== undefined && v !== '');
  if (!set.length) return;
  const file = raw.tls && typeof raw.tls === 'object' ? (raw.tls as Raw) : {};
  raw.tls = { ...file, ...Object.fromEntries(set) };
}

/** Just the data dir, for commands that only read it (no credentials needed). */
export function dataDirFrom(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): string {
  const file = flags.config ?? env.TRACEBRIDGE_CONFIG;
  const raw = file ? readFile(file, env) : {};
  const dir = flags.dataDir ?? env.TRACEBRIDGE_DATA_DIR ?? raw.dataDir;
  return typeof dir === 'string' && dir !== '' ? dir : configSchema.parse({}).dataDir;
}

export function loadConfig(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = flags.config ?? env.TRACEBRIDGE_CONFIG;
  const raw: Raw = file ? readFile(file, env) : {};
  const ups: RawUpstream[] = Array.isArray(raw.upstreams) ? (raw.upstreams as RawUpstream[]).map((u) => ({ ...u })) : [];
  if (raw.upstreams !== undefined && !Array.isArray(raw.upstreams)) throw new ConfigError('config: upstreams must be a list');

  const pick = (flag: string | undefined, envName: string, key: string) => {
    const v = flag ?? env[envName];
    if (v !== undefined && v !== '') raw[key] = v;
  };
  pick(flags.listen, 'TRACEBRIDGE_LISTEN', 'listen');
  pick(flags.dataDir, 'TRACEBRIDGE_DATA_DIR', 'dataDir');
  pick(flags.logLevel, 'TRACEBRIDGE_LOG_LEVEL', 'logLevel');
  pick(flags.logFormat, 'TRACEBRIDGE_LOG_FORMAT', 'logFormat');
  pick(flags.ack, 'TRACEBRIDGE_ACK', 'ack');
  pick(flags.grpcListen, 'TRACEBRIDGE_GRPC_LISTEN', 'grpcListen');
  pick(undefined, 'TRACEBRIDGE_INSTANCE_ID', 'instanceId');
  receiverTls(raw, flags, env);
  const workers = flags.workers ?? env.TRACEBRIDGE_WORKERS;
  if (workers !== undefined && workers !== '') raw.workers = /^\d+$/.test(workers) ? Number(workers) : workers;
  if (env.TRACEBRIDGE_INBOUND_KEYS)
    raw.inboundKeys = env.TRACEBRIDGE_INBOUND_KEYS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  shortcut(ups, 'weave', flags.weave ?? env.TRACEBRIDGE_WEAVE_URL);
  shortcut(ups, 'langtrace', flags.langtrace ?? env.TRACEBRIDGE_LANGTRACE_URL);
  natsServers(raw, flags.nats ?? env.TRACEBRIDGE_NATS_URL);
  otlpShortcut(ups, flags, env);
  otelSettings(ups, env);
  const project = flags.weaveProject ?? env.TRACEBRIDGE_WEAVE_PROJECT;
  for (const u of ups) {
    if (u.type === 'weave' && project) u.project = project;
    // The backends' own keys from their usual variables, for that backend only.
    const own = u.type === 'weave' ? env.WANDB_API_KEY : u.type === 'langtrace' ? env.LANGTRACE_API_KEY : undefined;
    if (own && !(u.auth && u.auth.key)) u.auth = { ...(u.auth ?? {}), key: own };
  }
  raw.upstreams = ups.length ? ups : [{ name: 'local', type: 'sink' }];
  const grpcGiven = raw.grpcListen;

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodProblems(configSchema, parsed.error).map((p) => `config${file ? ` (${file})` : ''}: ${p}`));
  const config = parsed.data;
  // gRPC follows --listen's host when only that is given (--listen 127.0.0.1:… opens nothing wider).
  if (grpcGiven === undefined) config.grpcListen = { host: config.listen.host, port: 4317 };
  // An OTLP/gRPC URL names a host and port only: its service path is fixed.
  for (const u of config.upstreams) if (u.type === 'otlp' && !isGrpc(u)) u.url = u.tracesUrl ?? (u.url && withTracesPath(u.url));
  checkCredentials(config);
  try {
    loadMappings(config.mappings);
  } catch (err) {
    if (err instanceof MappingError) throw new ConfigError(err.message);
    throw err;
  }
  return config;
}

/** --nats / TRACEBRIDGE_NATS_URL: the servers, over the file's (its other nats settings stay). */
function natsServers(raw: Raw, urls: string | undefined): void {
  if (!urls) return;
  const servers = urls
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const given = raw.nats && typeof raw.nats === 'object' ? (raw.nats as Raw) : {};
  raw.nats = { ...given, servers };
}

/**
 * The one rule for an OTLP base URL, wherever it comes from (--otlp, TRACEBRIDGE_OTLP_URL,
 * OTEL_EXPORTER_OTLP_ENDPOINT, the YAML's url), as the OTel SDKs read a base endpoint: a path
 * that does not end in /v1/traces gets it. Not a URL: left for the schema to name.
 */
export function withTracesPath(base: string): string {
  if (!URL.canParse(base)) return base;
  const u = new URL(base);
  if (!/\/v1\/traces\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/v1/traces';
  return u.toString();
}

/**
 * The otlp upstream of the flags and the environment: an exact traces URL (--otlp-traces-url,
 * TRACEBRIDGE_OTLP_TRACES_URL, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or a base URL (--otlp,
 * TRACEBRIDGE_OTLP_URL, OTEL_EXPORTER_OTLP_ENDPOINT); a flag beats every variable.
 */
function otlpShortcut(ups: RawUpstream[], flags: Flags, env: NodeJS.ProcessEnv): void {
  const candidates: Array<['tracesUrl' | 'url', string | undefined]> = [
    ['tracesUrl', flags.otlpTracesUrl],
    ['url', flags.otlp],
    ['tracesUrl', env.TRACEBRIDGE_OTLP_TRACES_URL],
    ['url', env.TRACEBRIDGE_OTLP_URL],
    ['tracesUrl', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT],
    ['url', env.OTEL_EXPORTER_OTLP_ENDPOINT],
  ];
  const at = candidates.findIndex(([, v]) => v !== undefined && v !== '');
  if (at < 0) return;
  const found = candidates[at];
  shortcut(ups, 'otlp', found[1]);
  const u = ups.find((x) => x.name === 'otlp') ?? ups.find((x) => x.type === 'otlp')!;
  delete u.url;
  delete u.tracesUrl;
  u[found[0]] = found[1];
  // The SDKs' protocol variable goes with their endpoint variables; over gRPC the endpoint is a host and port.
  if (at >= 4 && otelProtocol(env) === 'grpc') {
    u.protocol = 'grpc';
    u.url = found[1];
    delete u.tracesUrl;
  }
}

/** OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: grpc, or one of OTLP/HTTP's (sent as protobuf either way). */
function otelProtocol(env: NodeJS.ProcessEnv): 'grpc' | 'http' | undefined {
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = env[name];
  if (!value) return undefined;
  if (value === 'grpc') return 'grpc';
  if (value === 'http/protobuf' || value === 'http/json') return 'http';
  throw new ConfigError(`${name}: expected grpc, http/protobuf or http/json, got "${value}"`);
}

/** `k1=v1,k2=v2`, keys and values percent-decoded (the OTel SDKs' rule). */
export function parseOtelHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, i).trim()).toLowerCase()] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      throw new ConfigError(`OTEL_EXPORTER_OTLP_HEADERS: "${pair.slice(0, i).trim()}" is not percent-encoded correctly`);
    }
  }
  return out;
}

/** The rest of the OTel exporter settings, for the otlp upstream they configure. */
function otelSettings(ups: RawUpstream[], env: NodeJS.ProcessEnv): void {
  const u = ups.find((x) => x.type === 'otlp');
  if (!u) return;
  const headers = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS;
  if (headers) {
    const parsed = parseOtelHeaders(headers);
    // A key in the headers is a credential: sent as given, the upstream adds none of its own.
    if (parsed.authorization || parsed['x-api-key']) u.auth = { ...(u.auth ?? {}), mode: 'none' };
    u.headers = { ...parsed, ...((u.headers as Record<string, string>) ?? {}) };
  }
  const compression = env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ?? env.OTEL_EXPORTER_OTLP_COMPRESSION;
  if (compression === 'gzip' || compression === 'none') u.gzip = compression === 'gzip';
  else if (compression) throw new ConfigError(`OTEL_EXPORTER_OTLP_COMPRESSION: expected gzip or none, got "${compression}"`);
  const timeout = env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT;
  if (timeout) {
    if (!/^\d+$/.test(timeout) || Number(timeout) <= 0) throw new ConfigError(`OTEL_EXPORTER_OTLP_TIMEOUT: expected milliseconds, got "${timeout}"`);
    u.timeoutMs = Number(timeout);
  }
}

/** Keys left as the example had them: every batch would be refused with 401. */
const PLACEHOLDER = /^(replace[-_ ]?me|change[-_ ]?me|changeit|your[-_ ].*|xxx+|todo|placeholder|<.*>|\.\.\.|…|secret|example|key)$/i;

function placeholder(key: string | undefined, where: string): string[] {
  // A placeholder is shown (it is no secret); a real key never is.
  return key !== undefined && PLACEHOLDER.test(key.trim()) ? [`${where} is "${key.length > 20 ? key.slice(0, 20) + '…' : key}", a placeholder: set the real key`] : [];
}

/** Credentials must be decidable at start-up: a missing key is a config error, not a surprise later. */
function checkCredentials(config: Config): void {
  const senders = config.upstreams.filter((u) => u.type !== 'sink');
  const problems = config.inboundKeys.flatMap((k) => placeholder(k, 'an inbound key'));
  for (const u of senders) {
    const a = u.auth;
    problems.push(...placeholder(a.key, `upstream "${u.name}": auth.key`));
    for (const [k, e] of Object.entries(a.keys ?? {})) problems.push(...placeholder(e.key, `upstream "${u.name}": auth.keys["${k.slice(0, 4)}…"].key`));
    const envName = u.type === 'weave' ? 'WANDB_API_KEY' : u.type === 'langtrace' ? 'LANGTRACE_API_KEY' : undefined;
    if (a.mode === 'static' && !a.key) problems.push(`upstream "${u.name}": auth.mode static needs auth.key${envName ? ` (or ${envName})` : ''}`);
    if (a.mode === 'map' && !a.keys) problems.push(`upstream "${u.name}": auth.mode map needs auth.keys`);
    if (a.mode === 'auto' && senders.length > 1 && !a.key && u.type !== 'otlp')
      problems.push(
        `upstream "${u.name}" has no key of its own: set ${envName} or its auth.key. ` +
          `With several upstreams the inbound key is not passed on unless you say so (auth.mode: passthrough).`,
      );
  }
  if (problems.length) throw new ConfigError(problems);
}
