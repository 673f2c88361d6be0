// Connections of the HTTP receiver: how long one may sit without a request, and how many one
// client address may hold, so idle sockets from one place cannot take every connection.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';

/** A client address, IPv4-mapped IPv6 written as IPv4 (the same client either way). */
function normalAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export function clientAddress(socket: Socket): string {
  return normalAddress(socket.remoteAddress ?? '');
}

/** grpc-js's peer (`ADDRESS:PORT`) as a client address. */
export function peerAddress(peer: string): string {
  return normalAddress(peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'));
}

/**
 * Node's timeouts: a request head must arrive within headersTimeoutMs of the connection opening
 * (or of the previous answer), the whole request within requestTimeoutMs. Node checks them every
 * connectionsCheckingInterval (30 s by default): a quarter of the shorter one here, so a socket
 * that sends nothing is closed near headersTimeoutMs, not up to 30 s later.
 */
export function serverOptions(config: Config): ServerOptions {
  const headersTimeout = Math.min(config.requestTimeoutMs, config.headersTimeoutMs);
  return {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout,
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(headersTimeout / 4))),
  };
}

const WARN_EVERY_MS = 60_000;

/**
 * Keep-alive connections are closed after idleTimeoutMs without a request; at most maxConnections
 * in all and maxConnectionsPerClient from one address (0: no per-address cap). A connection past
 * its address's cap is closed at once, before a byte is read; other addresses are unaffected.
 */
export function guardConnections(server: Server, config: Config, log: Logger, metrics: Metrics): void {
  server.keepAliveTimeout = config.idleTimeoutMs;
  server.maxConnections = config.maxConnections;
  const cap = config.maxConnectionsPerClient;
  if (!cap) return;
  const open = new Map<string, number>();
  let warned = 0;
  server.on('connection', (socket: Socket) => {
    const address = clientAddress(socket);
    const n = open.get(address) ?? 0;
    if (n >= cap) {
      metrics.requestsRefused.inc({ reason: 'client_connections' });
      if (Date.now() - warned > WARN_EVERY_MS) {
        warned = Date.now();
        log.warn({ client: address, maxConnectionsPerClient: cap }, 'a client address holds too many connections; new ones from it are closed');
      }
      return void socket.destroy();
    }
    open.set(address, n + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
