// OpenInference: flattened message lists, a JSON invocation-parameters blob, one model name.
import type { AnyValue, Span } from '../../model/batch.js';
import { json, str } from '../attrs.js';
import type { LlmCall, Message, Part, SpanRole } from '../record.js';
import { urlOfPart, writeToolsOpenAi } from '../read/messages.js';
import type { Written } from './index.js';
import { writeGenericIo } from './generic.js';

/** Writes one content part; false for a part OpenInference has no slot for (file, video, reasoning). */
function part(out: Written, q: string, p: Part): boolean {
  if (p.type === 'text') {
    out.attrs.set(q + 'type', str('text'));
    out.attrs.set(q + 'text', str(p.text ?? ''));
    return true;
  }
  const url = urlOfPart(p);
  if ((p.type === 'image' || p.type === 'audio') && url !== undefined) {
    out.attrs.set(q + 'type', str(p.type));
    out.attrs.set(`${q}${p.type}.${p.type}.url`, str(url));
    if (p.type === 'audio' && p.mimeType !== undefined) out.attrs.set(q + 'audio.audio.mime_type', str(p.mimeType));
    return true;
  }
  return false;
}

const ROLE_KIND: Record<SpanRole, string> = { llm: 'LLM', embedding: 'EMBEDDING', tool: 'TOOL', agent: 'AGENT', chain: 'CHAIN', retriever: 'RETRIEVER' };

const KIND: Record<string, string> = {
  chat: 'LLM',
  text_completion: 'LLM',
  generate_content: 'LLM',
  embeddings: 'EMBEDDING',
  execute_tool: 'TOOL',
  invoke_agent: 'AGENT',
  retrieval: 'RETRIEVER',
  rerank: 'RERANKER',
};

/** Writes the messages; false when a part had no slot (the source then stays beside them). */
function messages(out: Written, prefix: string, msgs: Message[]): boolean {
  let whole = true;
  msgs.forEach((m, i) => {
    const p = `${prefix}.${i}.message.`;
    out.attrs.set(p + 'role', str(m.role));
    if (m.parts) m.parts.forEach((x, j) => (whole = part(out, `${p}contents.${j}.message_content.`, x) && whole));
    else if (m.content !== undefined) out.attrs.set(p + 'content', str(m.content));
    if (m.toolCallId !== undefined) out.attrs.set(p + 'tool_call_id', str(m.toolCallId));
    // Not in the OpenInference spec, which has one llm.finish_reason: kept per message so nothing is lost.
    if (m.finishReason !== undefined) out.attrs.set(p + 'finish_reason', str(m.finishReason));
    m.toolCalls?.forEach((c, k) => {
      const q = `${p}tool_calls.${k}.tool_call.`;
      if (c.id !== undefined) out.attrs.set(q + 'id', str(c.id));
      out.attrs.set(q + 'function.name', str(c.name));
      out.attrs.set(q + 'function.arguments', str(c.arguments));
    });
  });
  return whole;
}

export function writeOpenInference(call: LlmCall, out: Written, span: Span): void {
  const kind = (call.operation && KIND[call.operation]) ?? (call.role ? ROLE_KIND[call.role] : undefined);
  if (kind && !span.attributes.has('openinference.span.kind')) out.attrs.set('openinference.span.kind', str(kind));
  // Only an operation the kind names exactly is replaced (LLM covers chat and text_completion).
  if (call.operation && (call.operation === 'chat' || call.operation === 'embeddings')) out.written.add('operation');
  const model = call.responseModel ?? call.requestModel;
  if (model !== undefined) {
    out.attrs.set(kind === 'EMBEDDING' ? 'embedding.model_name' : 'llm.model_name', str(model));
    // OpenInference has one model name: a different request model stays as it came.
    if (call.responseModel !== undefined) out.written.add('responseModel');
    if (call.requestModel === model) out.written.add('requestModel');
  }
  if (call.input && messages(out, 'llm.input_messages', call.input)) out.written.add('input');
  if (call.output && messages(out, 'llm.output_messages', call.output)) out.written.add('output');
  // Tools, agents, chains: arguments and result (or generic input and output), OpenInference's only slot for them.
  writeGenericIo(call, out, true);
  if (call.embeddings?.texts) {
    call.embeddings.texts.forEach((text, i) => out.attrs.set(`embedding.embeddings.${i}.embedding.text`, str(text)));
    out.written.add('embeddings');
  }
  if (call.documents) {
    call.documents.forEach((d, i) => {
      const p = `retrieval.documents.${i}.document.`;
      if (d.id !== undefined) out.attrs.set(p + 'id', str(d.id));
      if (d.content !== undefined) out.attrs.set(p + 'content', str(d.content));
      if (d.score !== undefined) out.attrs.set(p + 'score', { type: 'double', value: d.score });
    });
    out.written.add('documents');
  }
  if (call.tools) {
    writeToolsOpenAi(call.tools).forEach((t, i) => out.attrs.set(`llm.tools.${i}.tool.json_schema`, json(t)));
    out.written.add('tools');
  }
  const p = call.params;
  const inv: Record<string, unknown> = {};
  // The requested model, when llm.model_name holds another (the response's).
  if (call.requestModel !== undefined && call.requestModel !== model) {
    inv.model = call.requestModel;
    out.written.add('requestModel');
  }
  const put = (k: string, v: unknown, field: Parameters<Written['written']['add']>[0]) => {
    if (v === undefined) return;
    inv[k] = v;
    out.written.add(field);
  };
  put('temperature', p.temperature, 'params.temperature');
  put('top_p', p.topP, 'params.topP');
  put('top_k', p.topK, 'params.topK');
  put('max_tokens', p.maxTokens, 'params.maxTokens');
  put('frequency_penalty', p.frequencyPenalty, 'params.frequencyPenalty');
  put('presence_penalty', p.presencePenalty, 'params.presencePenalty');
  put('seed', p.seed, 'params.seed');
  put('stop', p.stopSequences, 'params.stopSequences');
  put('stream', p.stream, 'params.stream');
  if (Object.keys(inv).length) out.attrs.set('llm.invocation_parameters', json(inv) as AnyValue);
}
