// OpenInference: flattened message lists, a JSON invocation-parameters blob, one model name.
import type { AnyValue, Span } from '../../model/batch.js';
import { json, str } from '../attrs.js';
import type { LlmCall, Message } from '../record.js';
import { writeToolsOpenAi } from '../read/messages.js';
import type { Written } from './index.js';

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

function messages(out: Written, prefix: string, msgs: Message[]): void {
  msgs.forEach((m, i) => {
    const p = `${prefix}.${i}.message.`;
    out.attrs.set(p + 'role', str(m.role));
    if (m.content !== undefined) out.attrs.set(p + 'content', str(m.content));
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
}

export function writeOpenInference(call: LlmCall, out: Written, span: Span): void {
  const kind = call.operation ? KIND[call.operation] : call.input || call.output ? 'LLM' : undefined;
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
  if (call.input) {
    messages(out, 'llm.input_messages', call.input);
    out.written.add('input');
  }
  if (call.output) {
    messages(out, 'llm.output_messages', call.output);
    out.written.add('output');
  }
  if (call.tools) {
    writeToolsOpenAi(call.tools).forEach((t, i) => out.attrs.set(`llm.tools.${i}.tool.json_schema`, json(t)));
    out.written.add('tools');
  }
  const p = call.params;
  const inv: Record<string, unknown> = {};
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
