// tracebridge as a library: the translation and the views `inspect` shows, usable in-process,
// and the proxy itself.
export { translateBatch, translateBatches, translateSpan } from './conventions/translate.js';
export { readSpan } from './conventions/read/index.js';
export { loadMappings, PROFILES, CONVENTIONS, type Profile, type Convention, type Mappings, type MappingOverrides } from './conventions/mappings.js';
export type { LlmCall, Message, Part, ToolCall, ToolDefinition, SpanRole } from './conventions/record.js';
export { inspectSpans, type SpanReport } from './commands/inspect.js';
export { weaveView, langtraceView } from './inspect/views.js';
export { decode, encode, sniff, INPUT_FORMATS, OUTPUT_FORMATS, type InputFormat, type OutputFormat } from './wire/formats.js';
export { decodeFile } from './wire/files.js';
export type { SpanBatch, Span, AnyValue, Attributes } from './model/batch.js';
export { createProxy, type Proxy, type ProxyOptions } from './receive/server.js';
export { loadConfig, type Flags } from './config/load.js';
export type { Config, UpstreamConfig } from './config/schema.js';
