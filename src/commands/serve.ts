// `tracebridge serve`: load the config, start the proxy, stop cleanly on SIGTERM/SIGINT.
import { loadConfig, type Flags } from '../config/load.js';
import { createProxy } from '../receive/server.js';
import { endpointUrl } from '../forward/prepare.js';

export async function serve(flags: Flags): Promise<void> {
  const config = loadConfig(flags);
  const proxy = createProxy(config);
  const { url } = await proxy.listen();
  proxy.log.info(
    { upstreams: config.upstreams.map((u) => ({ name: u.name, type: u.type, url: u.type === 'sink' ? `${config.dataDir}/sink` : endpointUrl(u), auth: u.auth.mode })) },
    'configuration loaded',
  );
  process.stdout.write(`tracebridge listening on ${url}\n`);
  if (config.grpcListen !== 'off') {
    const host = config.grpcListen.host.includes(':') ? `[${config.grpcListen.host}]` : config.grpcListen.host;
    process.stdout.write(`tracebridge listening for OTLP/gRPC on ${host}:${proxy.grpcPort}\n`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    proxy.log.info({ signal }, 'shutting down');
    proxy.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
