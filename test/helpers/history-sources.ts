// Loopback stand-ins for the backends' query APIs that `tracebridge migrate` reads, as their
// public source documents them: Weave's POST /calls/stream_query (HTTP Basic api:KEY, a strict
// CallsQueryReq: unknown fields are 422; JSON lines of CallSchema) and Langtrace's POST
// /api/traces (x-api-key; {traces: {result, metadata}}, newest first; a page past the end
// repeats the last one). Plus the histories they serve.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, unknown>;

interface HistoryServer {
  url: string;
  /** Every query, with its status and parsed body. */
  queries: Array<{ status: number; body: Obj }>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: Obj | undefined) => { status: number; type?: string; body: string };

async function serve(handler: Handler): Promise<HistoryServer> {
  const queries: HistoryServer['queries'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Obj | undefined;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as Obj;
      } catch {
        body = undefined;
      }
      const r = handler(req, body);
      queries.push({ status: r.status, body: body ?? {} });
      res.writeHead(r.status, { 'content-type': r.type ?? 'application/json' });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- Weave ----

const CALLS_QUERY_FIELDS = new Set([
  'project_id',
  'filter',
  'limit',
  'offset',
  'sort_by',
  'query',
  'include_costs',
  'include_feedback',
  'include_storage_size',
  'include_total_storage_size',
  'columns',
  'expand_columns',
  'return_expanded_column_values',
]);

const seconds = (iso: string) => Date.parse(iso) / 1000 + Number(`0.000${/\.\d{3}(\d*)/.exec(iso)?.[1] ?? '0'}`);

/** The subset of Weave's query language a started_at window needs: $and, $not, $gte, $gt on started_at. */
function matches(expr: Obj, call: Obj): boolean {
  if (Array.isArray(expr.$and)) return (expr.$and as Obj[]).every((e) => matches(e, call));
  if (Array.isArray(expr.$not)) return !matches((expr.$not as Obj[])[0], call);
  const op = (expr.$gte ?? expr.$gt) as [Obj, Obj] | undefined;
  if (!op || op[0].$getField !== 'started_at' || typeof op[1].$literal !== 'number') throw new Error(`unsupported query ${JSON.stringify(expr)}`);
  const t = seconds(String(call.started_at));
  return expr.$gte ? t >= (op[1].$literal as number) : t > (op[1].$literal as number);
}

function sortCalls(calls: Obj[], sortBy: Array<{ field: string; direction: string }>): Obj[] {
  return [...calls].sort((a, b) => {
    for (const s of sortBy) {
      const x = s.field === 'started_at' ? seconds(String(a.started_at)) : String(a[s.field]);
      const y = s.field === 'started_at' ? seconds(String(b.started_at)) : String(b[s.field]);
      if (x !== y) return (x < y ? -1 : 1) * (s.direction === 'desc' ? -1 : 1);
    }
    return 0;
  });
}

export function fakeWeaveHistory(opts: { key: string; project: string; calls: Obj[] }): Promise<HistoryServer> {
  return serve((req, body) => {
    if (req.url !== '/calls/stream_query' || req.method !== 'POST') return { status: 404, body: '{"detail":"Not Found"}' };
    const auth = req.headers.authorization ?? '';
    const [user, key] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
    if (user !== 'api' || key !== opts.key) return { status: 401, body: '{"detail":"Unauthorized"}' };
    if (!body) return { status: 422, body: '{"detail":"invalid JSON"}' };
    const unknown = Object.keys(body).filter((k) => !CALLS_QUERY_FIELDS.has(k));
    if (unknown.length) return { status: 422, body: JSON.stringify({ detail: [{ type: 'extra_forbidden', loc: ['body', unknown[0]], msg: 'Extra inputs are not permitted' }] }) };
    if (body.project_id !== opts.project) return { status: 403, body: '{"detail":"Permission denied"}' };
    let calls = opts.calls;
    if (body.query) calls = calls.filter((c) => matches((body.query as Obj).$expr as Obj, c));
    if (Array.isArray(body.sort_by)) calls = sortCalls(calls, body.sort_by as Array<{ field: string; direction: string }>);
    const offset = Number(body.offset ?? 0);
    const page = calls.slice(offset, body.limit === undefined ? undefined : offset + Number(body.limit));
    return { status: 200, type: 'application/jsonl', body: page.map((c) => JSON.stringify(c) + '\n').join('') };
  });
}

const iso = (ms: number, micros: number) => new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
const ref = (name: string) => `weave:///team/proj/op/${name}:a1b2c3`;

/**
 * `traces` traces of four calls: answer_question → Plan step → openai.chat.completions.create,
 * and answer_question → lookup (which fails in every tenth trace). Usage is rolled up from
 * the LLM call into its ancestors, as Weave does.
 */
export function weaveCalls(traces: number): Obj[] {
  const calls: Obj[] = [];
  const base = Date.parse('2025-03-01T10:00:00Z');
  for (let t = 0; t < traces; t++) {
    const at = (ms: number) => iso(base + t * 1000 + ms, (t * 7) % 1000);
    const id = (n: number) => `0195${String(t).padStart(4, '0')}-0000-7000-8000-00000000000${n}`;
    const usage = { 'gpt-4o-mini-2024-07-18': { requests: 1, prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } };
    const fails = t % 10 === 7;
    const common = {
      project_id: 'team/proj',
      trace_id: `0195${String(t).padStart(4, '0')}-trace`,
      attributes: { weave: { client_version: '0.51.0', source: 'python-sdk' } },
      wb_user_id: 'VXNlcjox',
    };
    calls.push(
      {
        ...common,
        id: id(0),
        parent_id: null,
        op_name: ref('answer_question'),
        display_name: null,
        started_at: at(0),
        ended_at: at(900),
        inputs: { question: `question ${t}` },
        output: `answer ${t}`,
        summary: { usage },
        exception: fails ? '{"type": "ValueError", "message": "lookup failed"}' : null,
      },
      {
        ...common,
        id: id(1),
        parent_id: id(0),
        op_name: ref('plan'),
        display_name: 'Plan step',
        started_at: at(10),
        ended_at: at(500),
        inputs: { question: `question ${t}` },
        output: { plan: 'ask the model' },
        summary: { usage },
        exception: null,
      },
      {
        ...common,
        id: id(2),
        parent_id: id(1),
        op_name: ref('openai.chat.completions.create'),
        display_name: null,
        started_at: at(20),
        ended_at: at(400),
        inputs: {
          model: 'gpt-4o-mini',
          temperature: 0.2,
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: `question ${t}` },
          ],
        },
        output: {
          id: `chatcmpl-${t}`,
          object: 'chat.completion',
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: `answer ${t}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
        },
        summary: { usage },
        exception: null,
      },
      {
        ...common,
        id: id(3),
        parent_id: id(0),
        op_name: ref('lookup'),
        display_name: null,
        started_at: at(600),
        ended_at: at(800),
        inputs: { query: `q${t}` },
        output: fails ? null : { rows: 3 },
        summary: {},
        exception: fails ? JSON.stringify({ type: 'ValueError', message: `lookup failed for ${t}`, traceback: 'Traceback (most recent call last): …' }) : null,
      },
    );
  }
  // Weave returns them in its own order unless asked: shuffled, so the client's sort_by matters.
  return calls.reverse();
}

// ---- Langtrace ----

export function fakeLangtraceHistory(opts: { key: string; projectId: string; traces: Obj[][]; pageSize?: number }): Promise<HistoryServer> {
  return serve((req, body) => {
    if (req.url !== '/api/traces' || req.method !== 'POST') return { status: 404, body: 'Not Found' };
    const key = req.headers['x-api-key'];
    // Without a key the route redirects to the login page inside its try block: a 400.
    if (!key) return { status: 400, body: '{"message":"Something went wrong while fetching traces"}' };
    if (!body) return { status: 400, body: '{"message":"Something went wrong while fetching traces"}' };
    if (body.projectId !== opts.projectId) return { status: 404, body: '{"error":"No projects found"}' };
    if (key !== opts.key) return { status: 401, body: '{"error":"Unauthorized. Invalid API key"}' };
    const size = Number(body.pageSize);
    const total = Math.max(1, Math.ceil(opts.traces.length / size));
    const asked = Number(body.page);
    const page = asked > total ? total : asked;
    const result = opts.traces.slice((page - 1) * size, page * size);
    return { status: 200, body: JSON.stringify({ traces: { result, metadata: { page: asked, page_size: size, total_pages: total } } }) };
  });
}

const hrOf = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
const chTime = (ms: number) => new Date(ms).toISOString().replace('Z', '123Z');

/**
 * `n` traces, newest first as Langtrace returns them, in its stored shape: a framework root span
 * and an OpenAI child with prompt and completion events. Even traces come from the TypeScript
 * SDK (hex ids, attributes as JSON text, HrTime event times), odd ones from Python (base64 ids,
 * attributes as an object, ISO event times); every seventh child failed.
 */
export function langtraceTraces(n: number): Obj[][] {
  const out: Obj[][] = [];
  const base = Date.parse('2025-02-01T08:00:00Z');
  for (let t = 0; t < n; t++) {
    const python = t % 2 === 1;
    const hex = (v: number, bytes: number) => v.toString(16).padStart(bytes * 2, '0');
    const id = (v: number, bytes: number) => (python ? Buffer.from(hex(v, bytes), 'hex').toString('base64') : hex(v, bytes));
    const trace = id(0xabc000 + t, 16);
    const root = id(0x100000 + t, 8);
    const child = id(0x200000 + t, 8);
    const start = base + t * 60_000;
    const fails = t % 7 === 3;
    const attrs = (a: Obj) => (python ? a : JSON.stringify(a));
    const evTime = (ms: number) => (python ? new Date(ms).toISOString() : hrOf(ms));
    const events = [
      { name: 'gen_ai.content.prompt', time: evTime(start + 10), attributes: { 'gen_ai.prompt': JSON.stringify([{ role: 'user', content: `question ${t}` }]) } },
      ...(fails
        ? [{ name: 'exception', time: evTime(start + 300), attributes: { 'exception.type': 'RateLimitError', 'exception.message': `rate limited ${t}` } }]
        : [{ name: 'gen_ai.content.completion', time: evTime(start + 300), attributes: { 'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: `answer ${t}` }]) } }]),
    ];
    const llm = {
      'langtrace.service.name': 'OpenAI',
      'langtrace.service.type': 'llm',
      'langtrace.sdk.name': python ? 'langtrace-python-sdk' : '@langtrase/typescript-sdk',
      'gen_ai.system': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4',
      ...(fails ? {} : { 'gen_ai.response.model': 'gpt-4-0613', 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 8 }),
      'url.full': 'https://api.openai.com/v1/',
    };
    out.push([
      {
        name: 'answer',
        trace_id: trace,
        span_id: root,
        trace_state: '',
        kind: 0,
        parent_id: '',
        start_time: chTime(start),
        end_time: chTime(start + 500),
        attributes: attrs({ 'langtrace.service.type': 'framework', 'langtrace.service.name': 'langchain' }),
        status_code: 'UNSET',
        events: '[]',
        links: '[]',
        duration: 500_000,
      },
      {
        name: 'openai.chat.completions.create',
        trace_id: trace,
        span_id: child,
        trace_state: '',
        kind: 2,
        parent_id: root,
        start_time: chTime(start + 5),
        end_time: chTime(start + 400),
        attributes: attrs(llm),
        status_code: fails ? (python ? 'STATUS_CODE_ERROR' : 'ERROR') : 'OK',
        events: JSON.stringify(events),
        links: '[]',
        duration: 395_000,
      },
    ]);
  }
  return out.reverse();
}
