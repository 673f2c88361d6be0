// The receivers' sockets: the HTTP server and the OTLP/gRPC receiver, their start and stop, and
// their TLS (tls.ts) when configured: HTTPS and gRPC over TLS, reloaded in place.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import { guardConnections, serverOptions } from './connections.js';
import { expectContinue } from './early.js';
import { grpcReceiver } from './grpc.js';
import type { Admission } from './admission.js';
import type { HttpRoutes } from './http-routes.js';
import { json } from './respond.js';
import { dialectOf } from './routes.js';
import { ReceiverTls } from './tls.js';

const LOOPBACK = /^(127\.|::1$|localhost$|\[::1\]$)/;

export interface Listening {
  host: string;
  port: number;
  url: string;
}

export class Listeners {
  readonly server: Server;
  private readonly grpc?: ReturnType<typeof grpcReceiver>;
  private readonly tls?: ReceiverTls;
  private tlsTimer?: NodeJS.Timeout;
  grpcPort?: number;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    metrics: Metrics,
    routes: HttpRoutes,
    budget: Admission['bodies'],
  ) {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      routes.handle(req, res).catch((err) => {
        log.error({ err: (err as Error).message }, 'request failed');
        json(res, 500, { error: 'internal error' });
      });
    };
    // Files that do not load stop the start here, each problem named (TlsError).
    this.tls = config.tls ? ReceiverTls.open(config.tls) : undefined;
    this.server = this.tls ? this.httpsServer(this.tls, metrics, onRequest) : createServer(serverOptions(config), onRequest);
    guardConnections(this.server, config, log, metrics);
    expectContinue(this.server, (req) => req.method === 'POST' && dialectOf((req.url ?? '/').split('?')[0]) !== undefined);
    if (config.grpcListen === 'off') return;
    const maxMessageBytes = Math.min(config.grpcMaxMessageBytes, config.maxBodyBytes);
    this.grpc = grpcReceiver(
      (headers, raw, path, client) => routes.grpc(headers, raw, path, client),
      { maxMessageBytes, budget },
      (err) => log.error({ err: err.message }, 'OTLP/gRPC request failed'),
    );
  }

  /**
   * HTTPS with the same timeouts, the handshake bounded like a request head. An https.Server
   * serves requests and connections as an http.Server does, which is all the callers use.
   */
  private httpsServer(tls: ReceiverTls, metrics: Metrics, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
    const options = serverOptions(this.config);
    const server = createHttpsServer({ ...options, ...tls.httpsOptions(), handshakeTimeout: options.headersTimeout }, onRequest);
    tls.watch(server);
    server.on('tlsClientError', (err, socket) => {
      // A client without an acceptable certificate, or one that does not speak TLS: its doing, counted.
      metrics.requestsRefused.inc({ reason: 'tls_handshake' });
      this.log.debug({ err: err.message, client: socket.remoteAddress }, 'TLS handshake refused');
      socket.destroy();
    });
    return server as unknown as Server;
  }

  /**
   * Warns when a receiver is open beyond this machine to anyone (no inbound keys, no client
   * certificates required), or takes keys and traces in plain text there.
   */
  warnIfOpen(passesCallerKeys: boolean): void {
    const { config, tls } = this;
    const open = [config.listen, config.grpcListen].filter((a) => a !== 'off' && !LOOPBACK.test(a.host)) as Array<Config['listen']>;
    if (!open.length) return;
    const where = { listen: open.map((a) => `${a.host}:${a.port}`) };
    if (!config.inboundKeys.length && !tls?.mtls)
      this.log.warn(
        where,
        'no inbound keys: anyone who can reach this port can send traces' +
          (passesCallerKeys ? ', and have them sent on with the key they bring' : '') +
          (tls
            ? ' (set TRACEBRIDGE_INBOUND_KEYS, or require client certificates with --tls-client-ca)'
            : ', in plain text with no TLS (set TRACEBRIDGE_INBOUND_KEYS, and --tls-cert and --tls-key)'),
      );
    else if (!tls) this.log.warn(where, 'no TLS: inbound keys and traces cross the network in plain text (set --tls-cert and --tls-key)');
  }

  /** The TLS files read again (a SIGHUP): used from the next connection on, or the problems logged and the running ones kept. */
  reloadTls(): string[] {
    const files = this.config.tls;
    if (!this.tls || !files) return [];
    const problems = this.tls.reload(files);
    if (problems.length) this.log.error({ problems }, 'receiver TLS not reloaded: keeping the certificate in use');
    else this.log.info({ cert: files.cert, ...this.tls.certificate, clientCa: files.clientCa }, 'receiver TLS reloaded');
    return problems;
  }

  async listen(): Promise<Listening> {
    const { config, server } = this;
    if (this.grpc && config.grpcListen !== 'off') this.grpcPort = await this.grpc.listen(config.grpcListen.host, config.grpcListen.port, this.tls?.grpcCredentials());
    this.watchTlsFiles();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        const a = server.address() as AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        resolve({ host: a.address, port: a.port, url: `${this.tls ? 'https' : 'http'}://${host}:${a.port}` });
      });
    });
  }

  /** Stops taking connections; the HTTP server's close resolves once its last one has ended. */
  stopAccepting(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    return closed;
  }

  /** tls.reloadIntervalMs: the files looked at this often, and read again once their bytes change. */
  private watchTlsFiles(): void {
    const every = this.config.tls?.reloadIntervalMs;
    if (!this.tls || !every) return;
    this.tlsTimer = setInterval(() => {
      if (this.config.tls && this.tls!.changed(this.config.tls)) this.reloadTls();
    }, every);
    this.tlsTimer.unref();
  }

  async close(closed: Promise<void>): Promise<void> {
    clearInterval(this.tlsTimer);
    this.server.closeAllConnections();
    await closed;
    await this.grpc?.close();
  }
}
