// The connections one upstream is reached through: a pool of kept-alive connections to its origin.
import { Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';

/** Connections per upstream at most: its queue workers, and ack: upstream's direct sends, share them. */
const CONNECTIONS = 64;

export function dispatcherFor(_u: UpstreamConfig, url: URL): Dispatcher {
  return new Pool(url.origin, { connections: CONNECTIONS });
}
