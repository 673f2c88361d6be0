// Refusals before a body is read, heard by the client: `Expect: 100-continue` is answered with
// the refusal instead of 100 Continue, and a client already uploading has its upload read and
// thrown away for a while after the answer, so the close that follows does not reach it as a
// reset before it has read the answer.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Answer } from './respond.js';

/**
 * After an early refusal, at most DRAIN_BYTES of the upload are read and thrown away (a small body
 * then ends cleanly); past them the connection is held unread, the client's writes held back by
 * TCP, until the client goes or DRAIN_MS have passed since the answer, time for it to read the
 * answer and stop.
 */
const DRAIN_BYTES = 1024 * 1024;
const DRAIN_MS = 2_000;

/** Requests that asked for 100 Continue and have not been sent it yet. */
const awaiting = new WeakSet<IncomingMessage>();

/**
 * Requests with `Expect: 100-continue` for which `guarded` holds get their 100 Continue only
 * once admitted (continueIfAsked); the others at once, as Node does by default.
 */
export function expectContinue(server: Server, guarded: (req: IncomingMessage) => boolean): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (guarded(req)) awaiting.add(req);
    else res.writeContinue();
    server.emit('request', req, res);
  });
}

/** The request passed every check made before its body: a client waiting for 100 Continue is sent it now. */
export function continueIfAsked(req: IncomingMessage, res: ServerResponse): void {
  if (awaiting.delete(req)) res.writeContinue();
}

/**
 * Answers a request whose body was not read (or not all of it) with `Connection: close`, then
 * reads and discards what the client still sends, up to `bytes`, and holds the connection unread
 * past them; it is closed once the upload has ended, the client has gone, or `ms` have passed.
 */
export function refuseUnread(req: IncomingMessage, res: ServerResponse, a: Answer, bytes = DRAIN_BYTES, ms = DRAIN_MS): void {
  awaiting.delete(req);
  if (res.headersSent) return void res.end();
  res.writeHead(a.status, { ...a.headers, connection: 'close' });
  // The answer is whole (its length is declared) before the drain: ending it closes the connection.
  res.write(a.body);
  let seen = 0;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    req.off('data', count).off('end', end).off('close', end);
    res.end();
  };
  const count = (c: Buffer) => void ((seen += c.length) >= bytes && req.pause());
  const timer = setTimeout(end, ms);
  if (req.complete || req.destroyed) return end();
  req.on('data', count).on('end', end).on('close', end);
  req.resume();
}
