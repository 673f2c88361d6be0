// The receivers' sockets: the HTTP server and the OTLP/gRPC receiver, their start and stop.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

const LOOPBACK = /^(127\.|::1$|localhost$|\[::1\]$)/;

export interface Listening {
  host: string;
  port: number;
  url: string;
}

export class Listeners {
  readonly server: Server;
  private readonly grpc?: ReturnType<typeof grpcReceiver>;
  grpcPort?: number;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    metrics: Metrics,
    routes: HttpRoutes,
    budget: Admission['bodies'],
  ) {
    this.server = createServer(serverOptions(config), (req: IncomingMessage, res: ServerResponse) => {
      routes.handle(req, res).catch((err) => {
        log.error({ err: (err as Error).message }, 'request failed');
        json(res, 500, { error: 'internal error' });
      });
    });
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

  /** Warns when a receiver is open beyond this machine with no inbound keys. */
  warnIfOpen(passesCallerKeys: boolean): void {
    const { config } = this;
    const open = [config.listen, config.grpcListen].filter((a) => a !== 'off' && !LOOPBACK.test(a.host)) as Array<Config['listen']>;
    if (config.inboundKeys.length || !open.length) return;
    this.log.warn(
      { listen: open.map((a) => `${a.host}:${a.port}`) },
      'no inbound keys: anyone who can reach this port can send traces' +
        (passesCallerKeys ? ', and have them sent on with the key they bring' : '') +
        ' (set TRACEBRIDGE_INBOUND_KEYS)',
    );
  }

  async listen(): Promise<Listening> {
    const { config, server } = this;
    if (this.grpc && config.grpcListen !== 'off') this.grpcPort = await this.grpc.listen(config.grpcListen.host, config.grpcListen.port);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        const a = server.address() as AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        resolve({ host: a.address, port: a.port, url: `http://${host}:${a.port}` });
      });
    });
  }

  /** Stops taking connections; the HTTP server's close resolves once its last one has ended. */
  stopAccepting(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    return closed;
  }

  async close(closed: Promise<void>): Promise<void> {
    this.server.closeAllConnections();
    await closed;
    await this.grpc?.close();
  }
}
