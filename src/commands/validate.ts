// `tracebridge validate`: the configuration `serve` would run with, read the same way (flags,
// environment, YAML), checked and shown without starting anything. Keys are never shown.
import { ConfigError, loadConfig, type Flags } from '../config/load.js';
import { selfLoops } from '../config/loops.js';
import type { Config, UpstreamConfig } from '../config/schema.js';
import { endpointUrl, profilesOf } from '../forward/prepare.js';
import { describeTls, loadTls } from '../receive/tls.js';

const address = (a: Config['listen']) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;

/** How an upstream is given its credential, in words; a key is only said to be there. */
function authLine(u: UpstreamConfig): string {
  const a = u.auth;
  const parts = [`auth ${a.mode}`];
  if (a.key) parts.push('key set (hidden)');
  if (a.keys) parts.push(`${Object.keys(a.keys).length} mapped keys (hidden)`);
  const headers = Object.keys(u.headers);
  if (headers.length) parts.push(`headers ${headers.join(', ')} (values hidden)`);
  return parts.join(', ');
}

function upstreamLine(u: UpstreamConfig, config: Config): string {
  if (u.type === 'sink') return `upstream ${u.name} (sink): ${config.dataDir}/sink — no upstream configured, batches go to the local sink`;
  const profiles = profilesOf(u);
  const project = u.type === 'weave' && u.project ? `, project ${u.project}` : '';
  return `upstream ${u.name} (${u.type}): ${endpointUrl(u)}, profile ${profiles.length ? profiles.join(', ') : 'none (attributes unchanged)'}, ${authLine(u)}${project}`;
}

/** What `serve` would run with, one line per setting that matters to an operator. */
function describeConfig(config: Config): string[] {
  return [
    `listen ${address(config.listen)} (OTLP/HTTP)`,
    `grpcListen ${config.grpcListen === 'off' ? 'off' : `${address(config.grpcListen)} (OTLP/gRPC)`}`,
    `tls ${config.tls ? describeTls(config.tls) : 'off: both receivers take plain text'}`,
    `dataDir ${config.dataDir}`,
    `ack ${config.ack}, workers ${config.workers}, logLevel ${config.logLevel}, logFormat ${config.logFormat}`,
    `inboundKeys ${config.inboundKeys.length ? `${config.inboundKeys.length} (hidden)` : 'none: the receivers are open'}`,
    ...config.upstreams.map((u) => upstreamLine(u, config)),
  ];
}

/** Loads and checks the configuration as `serve` does before listening; the problems as thrown. */
export async function checkedConfig(flags: Flags): Promise<Config> {
  const config = loadConfig(flags);
  // The receivers' TLS files as the receivers would load them: each problem a line.
  const problems = [...(config.tls ? loadTls(config.tls).problems : []), ...(await selfLoops(config))];
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Each problem of a configuration error on a line of its own; exit code 2. */
export function reportProblems(err: ConfigError, write: (s: string) => void): number {
  for (const p of err.problems) write(`tracebridge: ${p}\n`);
  return 2;
}

export async function validate(flags: Flags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let config: Config;
  try {
    config = await checkedConfig(flags);
  } catch (e) {
    if (e instanceof ConfigError) return reportProblems(e, err);
    throw e;
  }
  const file = flags.config ?? process.env.TRACEBRIDGE_CONFIG;
  out(`configuration valid${file ? ` (${file})` : ''}\n`);
  for (const l of describeConfig(config)) out(`  ${l}\n`);
  return 0;
}

export const VALIDATE_HELP = `usage: tracebridge validate [options]

Check the configuration serve would run with (flags, environment and YAML, read exactly as
serve reads them) without starting anything: prints the resolved receivers and upstreams
(URLs, translation profiles, auth modes; keys never shown) and exits 0, or prints one line per
problem (a mistyped key names the nearest known one) and exits 2.

options: the same as serve (tracebridge serve --help)
`;
