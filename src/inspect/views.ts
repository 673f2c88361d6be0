// What each backend shows for a span, by its own reading rules (docs/upstreams.md): the model of
// the UIs that `tracebridge inspect` and the tests use. Independent of tracebridge's own reader.
import { WEAVE_INPUT_KEYS, WEAVE_OUTPUT_KEYS, weaveShown } from '../conventions/write/floor.js';

type Obj = Record<string, unknown>;

/** Weave: dotted keys un-flattened, JSON-looking strings parsed, first truthy key wins; events as `events.<name>`. */
export function weaveView(attrs: Obj, events: Array<{ name: string; attributes?: Obj }> = []) {
  const tree: Obj = {};
  for (const [key, raw] of Object.entries(attrs)) {
    let v = raw;
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        v = JSON.parse(v);
      } catch {
        /* keep the text */
      }
    }
    const parts = key.split('.');
    let node = tree;
    for (const p of parts.slice(0, -1)) {
      if (typeof node[p] !== 'object' || node[p] === null) {
        if (node[p] !== undefined) throw new Error(`Weave would reject this span: ${key} under a non-object ${p}`);
        node[p] = {};
      }
      node = node[p] as Obj;
    }
    const last = parts[parts.length - 1];
    if (typeof node[last] === 'object' && node[last] !== null && !Array.isArray(node[last]))
      throw new Error(`Weave would reject this span: ${key} is both a value and a dotted parent`);
    node[last] = v;
  }
  const get = (path: string) => path.split('.').reduce<unknown>((n, p) => (n && typeof n === 'object' ? (n as Obj)[p] : undefined), tree);
  const first = (...keys: string[]) => {
    for (const k of keys) {
      const v = get(k);
      if (v) return v;
    }
    return undefined;
  };
  const evs = events.map((e) => ({ name: e.name, attributes: e.attributes ?? {} }));
  const input = weaveShown(attrs, evs, WEAVE_INPUT_KEYS);
  const output = weaveShown(attrs, evs, WEAVE_OUTPUT_KEYS);
  const inTok = first('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt') as number | undefined;
  const outTok = first('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion') as number | undefined;
  const total = (first('llm.usage.total_tokens', 'llm.token_count.total') as number | undefined) ?? (inTok ?? 0) + (outTok ?? 0);
  const request = get('gen_ai.request');
  let parameters = request && typeof request === 'object' ? (request as Obj) : undefined;
  if (!parameters) parameters = first('llm.invocation_parameters') as Obj | undefined;
  return {
    input,
    output,
    model: first('gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'ai.model.id') as string | undefined,
    usage: { input: inTok, output: outTok, total },
    system: first('gen_ai.system', 'llm.system') as string | undefined,
    provider: first('gen_ai.provider.name', 'llm.provider') as string | undefined,
    kind: first('weave.span.kind', 'traceloop.span.kind', 'openinference.span.kind') as string | undefined,
    parameters,
  };
}

interface LangtraceEvent {
  name: string;
  attributes?: Obj;
}

/** Langtrace's UI: prompt/completion from events (fallback llm.prompts/responses), model, tokens, vendor. */
export function langtraceView(attrs: Obj, events: LangtraceEvent[]) {
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  const ev = (name: string, key: string) => events.find((e) => e.name === name)?.attributes?.[key];
  const prompt = parse(ev('gen_ai.content.prompt', 'gen_ai.prompt') ?? attrs['llm.prompts']);
  const completion = parse(ev('gen_ai.content.completion', 'gen_ai.completion') ?? attrs['llm.responses']);
  const num = (k: string) => {
    const v = attrs[k];
    if (v !== undefined && typeof v !== 'number') throw new Error(`Langtrace needs ${k} as a number, got ${typeof v}`);
    return v as number | undefined;
  };
  let input: number | undefined;
  let output: number | undefined;
  if (num('gen_ai.usage.prompt_tokens') && num('gen_ai.usage.completion_tokens')) {
    input = num('gen_ai.usage.prompt_tokens');
    output = num('gen_ai.usage.completion_tokens');
  } else if (num('gen_ai.usage.input_tokens') !== undefined || num('gen_ai.usage.output_tokens') !== undefined) {
    input = num('gen_ai.usage.input_tokens');
    output = num('gen_ai.usage.output_tokens');
  } else if (attrs['llm.token.counts']) {
    const c = parse(attrs['llm.token.counts']);
    input = c.input_tokens;
    output = c.output_tokens;
  }
  const cached = num('gen_ai.usage.cached_tokens') ?? 0;
  const type = attrs['langtrace.service.type'] as string | undefined;
  // Only llm spans count toward tokens and cost; the others show their attributes.
  const counted = type === undefined || type === 'llm';
  const first = (...keys: string[]) => keys.map((k) => attrs[k]).find((v) => v !== undefined) as string | undefined;
  return {
    prompt,
    completion,
    model: (attrs['gen_ai.response.model'] ?? attrs['llm.model'] ?? attrs['gen_ai.request.model']) as string | undefined,
    usage: counted ? { input, output, total: (input ?? 0) + (output ?? 0) + cached } : { input: undefined, output: undefined, total: 0 },
    /** A framework span's input and output, as its attribute panel shows them. */
    io: { input: first('gen_ai.tool.call.arguments', 'input.value'), output: first('gen_ai.tool.call.result', 'output.value') },
    vendor: typeof attrs['langtrace.service.name'] === 'string' ? (attrs['langtrace.service.name'] as string).toLowerCase() : undefined,
    type,
    session: attrs['session.id'] as string | undefined,
    user: attrs['user_id'] as string | undefined,
  };
}
