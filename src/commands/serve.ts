// `tracebridge serve`: load and check the config, check both ports are free, start the proxy;
// SIGHUP reloads the config, SIGTERM/SIGINT stop cleanly.
import { rename, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ConfigError, type Flags } from '../config/load.js';
import { useInstanceId } from '../config/loops.js';
import { applyReload } from '../config/reload.js';
import type { Config } from '../config/schema.js';
import { createProxy, type Proxy } from '../receive/server.js';
import { endpointUrl } from '../forward/prepare.js';
import { DiskError } from '../forward/disk.js';
import { createLogger, type Logger } from '../observe/log.js';
import { checkedConfig, reportProblems } from './validate.js';

export const SERVE_HELP = `usage: tracebridge serve [options]

Run the proxy: OTLP/HTTP, OTLP/gRPC and Langtrace's /api/trace in, every configured backend out.
With no upstream, batches go to a local sink under the data dir (each file rotated to one .1
past 100 MiB). SIGHUP reloads the configuration (keys, inbound keys, key tables, TLS files); SIGTERM stops.
Flags win over the environment, the environment over the YAML file.

options (environment variable in brackets):
  --config FILE                  YAML config file [TRACEBRIDGE_CONFIG]
  --listen HOST:PORT             OTLP/HTTP receiver (default 127.0.0.1:4318) [TRACEBRIDGE_LISTEN]
  --grpc-listen HOST:PORT|off    OTLP/gRPC receiver (default: --listen's host, port 4317) [TRACEBRIDGE_GRPC_LISTEN]
  --tls-cert FILE                TLS on both receivers (HTTPS, gRPC over TLS): the PEM certificate [TRACEBRIDGE_TLS_CERT]
  --tls-key FILE                 its PEM key [TRACEBRIDGE_TLS_KEY]
  --tls-client-ca FILE           mTLS: clients need a certificate this CA signed [TRACEBRIDGE_TLS_CLIENT_CA]
  --weave URL                    a W&B Weave upstream [TRACEBRIDGE_WEAVE_URL]; key [WANDB_API_KEY]
  --weave-project ENTITY/PROJECT the Weave project when a request names none [TRACEBRIDGE_WEAVE_PROJECT]
  --langtrace URL                a Langtrace upstream [TRACEBRIDGE_LANGTRACE_URL]; key [LANGTRACE_API_KEY]
  --otlp URL                     any other OTLP backend: OTLP/HTTP (/v1/traces added unless the path ends so),
                                 OTLP/gRPC for grpc(s)://HOST:PORT [TRACEBRIDGE_OTLP_URL, OTEL_EXPORTER_OTLP_ENDPOINT]
  --otlp-traces-url URL          the same, the exact traces URL used as given
                                 [TRACEBRIDGE_OTLP_TRACES_URL, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]
  --data-dir DIR                 queues, dead letters, sink (default ./tracebridge-data) [TRACEBRIDGE_DATA_DIR]
  --ack queue|upstream           answer once journalled (default) or once the backends answered [TRACEBRIDGE_ACK]
  --workers N                    worker threads for decoding and translation (default 0) [TRACEBRIDGE_WORKERS]
  --nats URL[,URL...]            NATS JetStream servers: replicas share one durable queue there instead of
                                 the data dir's journal and queues [TRACEBRIDGE_NATS_URL]
  --log-level LEVEL              fatal, error, warn, info (default), debug, trace, silent [TRACEBRIDGE_LOG_LEVEL]
  --log-format json|text         log lines on stderr as JSON (default) or text [TRACEBRIDGE_LOG_FORMAT]
  -h, --help                     this help

environment only:
  TRACEBRIDGE_INBOUND_KEYS       comma-separated keys clients must present to tracebridge
  OTEL_EXPORTER_OTLP_HEADERS     headers for the otlp upstream, k=v,k2=v2 (also …_TRACES_HEADERS)
  OTEL_EXPORTER_OTLP_COMPRESSION gzip or none (also …_TRACES_COMPRESSION)
  OTEL_EXPORTER_OTLP_TIMEOUT     the otlp upstream's timeout in ms (also …_TRACES_TIMEOUT)
  OTEL_EXPORTER_OTLP_PROTOCOL    grpc: OTLP/gRPC to the endpoint as given; http/protobuf (also …_TRACES_PROTOCOL)
  TRACEBRIDGE_INSTANCE_ID        this instance's id in the x-tracebridge-hop header (default: random per start)
`;

const address = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** Why a receiver's address cannot be taken (undefined: it can), found before anything starts. */
function probe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err) => resolve(err));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

/** Both receivers' addresses, checked before either starts: a taken port is one line naming the flag. */
async function checkPorts(config: Config): Promise<string | undefined> {
  const receivers = [{ name: 'OTLP/HTTP', flag: '--listen HOST:PORT', off: '', ...config.listen }];
  if (config.grpcListen !== 'off') receivers.push({ name: 'OTLP/gRPC', flag: '--grpc-listen HOST:PORT', off: ' or turn it off with --grpc-listen off', ...config.grpcListen });
  for (const r of receivers) {
    const err = await probe(r.host, r.port);
    if (!err) continue;
    const why =
      err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.message;
    return `the ${r.name} receiver cannot listen on ${address(r.host, r.port)}: ${why}; move it with ${r.flag}${r.off}`;
  }
  return undefined;
}

/** The local sink's files rotated to one `.1` past sinkMaxBytes, checked every second. */
function rotateSink(config: Config, log: Logger): () => void {
  const dir = join(config.dataDir, 'sink');
  const timer = setInterval(() => {
    for (const name of ['weave.jsonl', 'langtrace.jsonl']) {
      const file = join(dir, name);
      stat(file)
        .then((s) => (s.size > config.sinkMaxBytes ? rename(file, `${file}.1`).then(() => log.info({ file, bytes: s.size }, 'sink file rotated')) : undefined))
        .catch(() => undefined);
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** SIGHUP: the configuration read again as at start; applied where it can be, else logged and the old one kept. */
function reloadOnHangup(flags: Flags, config: Config, proxy: Proxy): void {
  let chain = Promise.resolve();
  const reload = async () => {
    try {
      const next = await checkedConfig(flags);
      const plan = applyReload(config, next, (m) => proxy.setMappings(m));
      proxy.log.level = config.logLevel;
      proxy.log.info({ changed: plan.changed }, plan.changed.length ? 'configuration reloaded' : 'configuration reloaded: nothing changed');
      if (plan.restart.length) proxy.log.warn({ restart: plan.restart }, 'configuration changes that need a restart were not applied');
      // Read again at every reload: a renewed certificate keeps its paths.
      proxy.reloadTls();
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      proxy.log.error({ problems }, 'configuration not reloaded: keeping the one running');
    }
  };
  process.on('SIGHUP', () => (chain = chain.then(reload)));
}

function startLines(config: Config, proxy: Proxy, url: string): void {
  const upstreams = config.upstreams.map((u) => ({ name: u.name, type: u.type, url: u.type === 'sink' ? `${config.dataDir}/sink` : endpointUrl(u), auth: u.auth.mode }));
  proxy.log.info({ upstreams }, 'configuration loaded');
  if (config.upstreams.every((u) => u.type === 'sink'))
    proxy.log.warn(
      { sink: join(config.dataDir, 'sink'), maxBytes: config.sinkMaxBytes },
      'no upstream configured: batches go to the local sink (rotated to one .1 per file); give one with --weave, --langtrace or --otlp',
    );
  const grpc = config.grpcListen !== 'off' ? address(config.grpcListen.host, proxy.grpcPort!) : undefined;
  const tls = config.tls ? (config.tls.clientCa ? 'mTLS (client certificates required)' : 'on') : 'off';
  proxy.log.info({ url, grpc, tls }, 'listening');
  process.stdout.write(`tracebridge listening on ${url}\n`);
  if (grpc) process.stdout.write(`tracebridge listening for OTLP/gRPC on ${grpc}\n`);
}

/** A start-up failure: one line on stderr, the exit code, nothing left running. */
function fail(line: string, code: number): never {
  process.stderr.write(`tracebridge: ${line}\n`);
  process.exit(code);
}

export async function serve(flags: Flags): Promise<void> {
  let config: Config;
  try {
    config = await checkedConfig(flags);
  } catch (err) {
    if (err instanceof ConfigError) process.exit(reportProblems(err, (s) => process.stderr.write(s)));
    throw err;
  }
  useInstanceId(config);
  const taken = await checkPorts(config);
  if (taken) fail(taken, 2);
  const proxy = createProxy(config, { logger: createLogger(config.logLevel, undefined, { format: config.logFormat }) });
  // Before listening: a SIGHUP from now on reloads, never kills.
  reloadOnHangup(flags, config, proxy);
  let url: string;
  try {
    ({ url } = await proxy.listen());
  } catch (err) {
    await proxy.close(0).catch(() => undefined);
    // A data dir that cannot hold the queue is the operator's setting to fix, like any bad value.
    fail(`cannot start: ${(err as Error).message}`, err instanceof DiskError ? 2 : 1);
  }
  const stopRotating = config.upstreams.some((u) => u.type === 'sink') ? rotateSink(config, proxy.log) : () => undefined;
  startLines(config, proxy, url);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopRotating();
    proxy.log.info({ signal }, 'shutting down');
    proxy.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
