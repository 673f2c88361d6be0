// Turns a decoded batch into the exact HTTP requests one upstream receives: its convention, its
// wire format, its credentials. Pure apart from reading the config; no I/O.
import { isGrpc, WEAVE_PROJECT, type UpstreamConfig } from '../config/schema.js';
import { translateBatches, type TranslateStats } from '../conventions/translate.js';
import type { Mappings, Profile } from '../conventions/mappings.js';
import type { SpanBatch } from '../model/batch.js';
import { spanCount } from '../model/batch.js';
import { storedCredential, type Credentials, type StoredCredential } from '../auth/strategies.js';
import { gzip } from '../wire/compression.js';
import { encodeOtlpProto } from '../wire/otlp-proto.js';
import { distinctResources, encodeLangtraceNative, encodeLangtraceOtlpJson } from '../wire/langtrace.js';
import { encodeOtlpJson } from '../wire/otlp-json.js';
import { VERSION } from '../version.js';
import { bodies, langtraceNativeBody } from './bodies.js';
import { compileRules, type RedactCounts, type Redactor } from '../conventions/redact.js';

const take = (n: number) => bodies.take(n);

export interface OutRequest {
  body: Buffer;
  headers: Record<string, string>;
}

export interface Delivery {
  upstream: string;
  spans: number;
  /** Headers without the credential: the sender adds it at send time from this reference. */
  requests: OutRequest[];
  credential?: StoredCredential;
  /** How often each redaction rule fired on this copy (counted in /metrics by the receiving thread). */
  redactions?: Record<string, number>;
}

const DEFAULT_PATH = { weave: '/otel/v1/traces', langtrace: '/api/trace', otlp: '/v1/traces', sink: '' } as const;

/** A base URL gets the backend's usual path; a URL with a path is used as given (never doubled). */
export function endpointUrl(u: UpstreamConfig): string {
  const url = new URL(u.url ?? 'http://localhost');
  // OTLP/gRPC: a host and port (grpcs for TLS, as the sender reads http/https), the service's path is gRPC's own.
  if (isGrpc(u)) return `${/^(https|grpcs):$/.test(url.protocol) ? 'grpcs' : 'grpc'}://${url.host}`;
  if (url.pathname === '/' || url.pathname === '') url.pathname = DEFAULT_PATH[u.type];
  return url.toString();
}

// Any other OTLP backend gets OTel GenAI's keys beside everything that came (Phoenix reads OpenInference's, Langfuse its own).
const DEFAULT_CONVENTION = { weave: 'weave', langtrace: 'langtrace', otlp: 'otel-genai-additive', sink: 'none' } as const;

/** The profiles an upstream's copy is translated to (a sink shows both backends' copies). */
export function profilesOf(u: UpstreamConfig): Profile[] {
  if (u.type === 'sink') return ['weave', 'langtrace'];
  const convention = u.convention ?? DEFAULT_CONVENTION[u.type];
  return convention === 'none' ? [] : [convention];
}

/** A batch's translation to each profile asked for. */
type Translations = (profile: Profile) => SpanBatch;

/** Every profile's translation of a batch, made in one pass over its spans (each span read once). */
export function translationsFor(batch: SpanBatch, profiles: Profile[], mappings: Mappings, stats?: TranslateStats): Translations {
  const out = translateBatches(batch, profiles, mappings, stats);
  return (profile) => out[profiles.indexOf(profile)];
}

export class PrepareError extends Error {
  override name = 'PrepareError';
  readonly status = 400;
}

function missingProject(batch: SpanBatch): boolean {
  return batch.resourceSpans.some((rs) => !rs.resource.attributes.has('wandb.entity') || !rs.resource.attributes.has('wandb.project'));
}

const NO_PROJECT = 'no Weave project: send a project_id header (ENTITY/PROJECT), set wandb.entity and wandb.project on the resource, or start tracebridge with --weave-project';

/** The Weave project as entity and name; anything but ENTITY/PROJECT is refused, never sent on. */
function weaveProject(project: string): [string, string] {
  if (!WEAVE_PROJECT.test(project))
    throw new PrepareError(`the Weave project "${project.slice(0, 100)}" is not of the form ENTITY/PROJECT (from the project_id header or the config)`);
  const [entity, name] = project.split('/');
  return [entity, name];
}

/** Requests one request may become in Langtrace's OTLP/JSON mode (one per distinct resource), at most. */
const MAX_FAN_OUT = 100;

/** What prepare would refuse, found without translating: lets a request be answered before it is. */
export function checkDeliverable(u: UpstreamConfig, batch: SpanBatch, creds: Credentials): void {
  if (u.type === 'langtrace' && u.format === 'otlp-json' && batch.resourceSpans.length > MAX_FAN_OUT && distinctResources(batch) > MAX_FAN_OUT)
    throw new PrepareError(`more than ${MAX_FAN_OUT} distinct resources in one request: Langtrace's OTLP/JSON mode takes one per request; send fewer at once`);
  if (u.type !== 'weave') return;
  // Sent as the project_id header whatever the resource says: it must be well formed either way.
  if (creds.project !== undefined) weaveProject(creds.project);
  else if (missingProject(batch)) throw new PrepareError(NO_PROJECT);
}

function withWeaveProject(batch: SpanBatch, project: string | undefined): SpanBatch {
  if (!missingProject(batch)) return batch;
  if (!project) throw new PrepareError(NO_PROJECT);
  const [entity, name] = weaveProject(project);
  return {
    resourceSpans: batch.resourceSpans.map((rs) => {
      // Resource attributes win over the header (as in Weave): only fill what is absent.
      const attrs = new Map(rs.resource.attributes);
      if (!attrs.has('wandb.entity')) attrs.set('wandb.entity', { type: 'string', value: entity });
      if (!attrs.has('wandb.project')) attrs.set('wandb.project', { type: 'string', value: name });
      return { ...rs, resource: { ...rs.resource, attributes: attrs } };
    }),
  };
}

/** Headers that describe the body, set by prepare: configured headers never override them. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-length']);

/**
 * An upstream's configured headers (`headers`, OTEL_EXPORTER_OTLP_HEADERS), added at send time
 * rather than kept in queue files, since they may carry a key. Langtrace's User-Agent picks its
 * body shape, so it is not overridden either.
 */
export function configuredHeaders(u: UpstreamConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(u.headers ?? {})) {
    const name = k.toLowerCase();
    if (!BODY_HEADERS.has(name) && !(u.type === 'langtrace' && name === 'user-agent')) out[name] = v;
  }
  return out;
}

const redactors = new WeakMap<UpstreamConfig, Redactor>();
/** An upstream's redaction rules, compiled once (the schema already checked them). */
function redactorOf(u: UpstreamConfig): Redactor {
  let r = redactors.get(u);
  if (!r) redactors.set(u, (r = compileRules(u.redact ?? {})));
  return r;
}

const redacted = (counts: RedactCounts) => (counts.size ? { redactions: Object.fromEntries(counts) } : {});

/** `translations`: made for every upstream of the batch at once; without it, for this one alone. */
export function prepare(u: UpstreamConfig, batch: SpanBatch, creds: Credentials, mappings: Mappings, translations?: Translations): Delivery {
  // The same rules as before the answer, for the requests delivered before it.
  checkDeliverable(u, batch, creds);
  const profiles = profilesOf(u);
  const translated = translations ?? translationsFor(batch, profiles, mappings);
  // A sink's copies are made below; the others have at most one profile.
  let out = u.type === 'sink' || profiles.length === 0 ? batch : translated(profiles[0]);
  // Redaction comes last, on what this upstream would receive: it sees nothing the rules remove.
  const redactions: RedactCounts = new Map();
  if (u.redact) out = redactorOf(u).batch(out, redactions);
  const credential = storedCredential(creds);
  // The upstream's configured headers are added at send time (they may hold a key): see configuredHeaders.
  const base = { 'user-agent': `tracebridge/${VERSION}` };
  const spans = spanCount(batch);
  switch (u.type) {
    case 'weave':
    case 'otlp': {
      if (u.type === 'weave') out = withWeaveProject(out, creds.project);
      // Encoded into a pooled buffer: given back at once when gzipped, after delivery when not.
      const raw = encodeOtlpProto(out, take);
      // Over gRPC the message is compressed on the wire (grpc-js): its copy is kept plain.
      const zip = !isGrpc(u) && (u.gzip ?? true);
      const headers = { ...base, 'content-type': 'application/x-protobuf', ...(zip ? { 'content-encoding': 'gzip' } : {}) };
      let body = raw;
      if (zip) {
        body = gzip(raw);
        bodies.give(raw);
      }
      return { upstream: u.name, spans, credential, ...redacted(redactions), requests: [{ body, headers }] };
    }
    case 'langtrace': {
      // Langtrace picks the body shape by User-Agent, and never takes Content-Encoding.
      if (u.format === 'otlp-json') {
        const headers = { ...base, 'user-agent': `tracebridge/${VERSION} (OTel-OTLP-Exporter-JavaScript)`, 'content-type': 'application/json' };
        return { upstream: u.name, spans, credential, ...redacted(redactions), requests: encodeLangtraceOtlpJson(out).map((b) => ({ body: Buffer.from(b), headers })) };
      }
      const headers = { ...base, 'content-type': 'application/json' };
      return { upstream: u.name, spans, credential, ...redacted(redactions), requests: [{ body: langtraceNativeBody(out), headers }] };
    }
    case 'sink': {
      // What each backend would receive, readable: Weave's OTLP as JSON, Langtrace's native array.
      const seen = (p: Profile) => (u.redact ? redactorOf(u).batch(translated(p), redactions) : translated(p));
      const weave = encodeOtlpJson(seen('weave'));
      const langtrace = encodeLangtraceNative(seen('langtrace'));
      return {
        upstream: u.name,
        spans,
        ...redacted(redactions),
        requests: [
          { body: Buffer.from(weave), headers: { 'x-sink-file': 'weave.jsonl' } },
          { body: Buffer.from(langtrace), headers: { 'x-sink-file': 'langtrace.jsonl' } },
        ],
      };
    }
  }
}
