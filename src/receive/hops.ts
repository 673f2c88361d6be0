// The hop list a request arrived with (x-tracebridge-hop, or the same gRPC metadata): refused with
// 508 when this instance is in it already or it is longer than any sane chain of proxies, and kept
// with the request otherwise, so each copy goes out with it and this instance's id added.
import type { IncomingHttpHeaders } from 'node:http';
import { HOP_HEADER, hopsIn, loopOf } from '../config/loops.js';
import { HttpError } from './admission.js';

/** Throws 508 (counted by its reason) for a request that is in a loop. */
export function checkHops(headers: IncomingHttpHeaders): void {
  const loop = loopOf(hopsIn(headers[HOP_HEADER]));
  if (loop) throw new HttpError(508, loop.message, {}, loop.reason);
}

/** The hops a request arrived with, for its ProcessInput (nothing for one straight from an app). */
export function carriedHops(headers: IncomingHttpHeaders): { hops?: string[] } {
  const hops = hopsIn(headers[HOP_HEADER]);
  return hops.length ? { hops } : {};
}
