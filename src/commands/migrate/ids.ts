// Span and trace ids for records that have none in OTLP's form (Weave's call ids): the first
// bytes of a SHA-256 of the backend's id, so every run derives the same ones.
import { createHash } from 'node:crypto';

const digest = (kind: string, id: string, bytes: number) =>
  createHash('sha256')
    .update(`${kind}:${id}`)
    .digest('hex')
    .slice(0, bytes * 2);

export const traceIdOf = (id: string) => digest('trace', id, 16);
export const spanIdOf = (id: string) => digest('span', id, 8);
