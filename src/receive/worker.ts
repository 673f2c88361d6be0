// A worker thread running processRequest for the main thread's pool.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { loadMappings } from '../conventions/mappings.js';
import { CredentialError } from '../auth/strategies.js';
import { PrepareError } from '../forward/prepare.js';
import { DecodeError } from '../wire/errors.js';
import { processRequest, type ProcessInput } from './process.js';
import { ownBuffers } from './pool.js';
import { releaseBodies } from '../forward/bodies.js';

const config = (workerData as { config: Config }).config;
const mappings = loadMappings(config.mappings);

parentPort!.on('message', ({ id, input }: { id: number; input: ProcessInput }) => {
  try {
    const output = processRequest(config, mappings, input);
    // Prepared bodies are handed to the main thread, not copied.
    const bodies = output.deliveries.flatMap((d) => d.requests.map((r) => r.body));
    parentPort!.postMessage({ id, output }, ownBuffers(bodies));
    // What was not transferred was copied: this thread's pooled buffers are free again.
    for (const d of output.deliveries) releaseBodies(d);
  } catch (err) {
    const e = err as Error & { status?: number };
    const known = err instanceof DecodeError || err instanceof CredentialError || err instanceof PrepareError;
    parentPort!.postMessage({ id, error: { message: e.message, status: e.status, known } });
  }
});
