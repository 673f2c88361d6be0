// A span's generic input and output (`input.value` / `output.value`), for spans without messages:
// a tool's arguments and result, else the generic values read. Weave and OpenInference read them.
import { str } from '../attrs.js';
import type { LlmCall } from '../record.js';
import type { Written } from './index.js';

/**
 * Writes them and marks what they replace. `toolSlots`: the target has no other slot for a
 * tool's arguments and result, so these keys replace them too.
 */
export function writeGenericIo(call: LlmCall, out: Written, toolSlots = false): void {
  const input = call.input ? undefined : (call.tool?.arguments ?? call.inputValue);
  const output = call.output ? undefined : (call.tool?.result ?? call.outputValue);
  if (input !== undefined) out.attrs.set('input.value', str(input));
  if (output !== undefined) out.attrs.set('output.value', str(output));
  if (toolSlots && input !== undefined && input === call.tool?.arguments) out.written.add('tool.arguments');
  if (toolSlots && output !== undefined && output === call.tool?.result) out.written.add('tool.result');
  if (input !== undefined && input === call.inputValue) out.written.add('inputValue');
  if (output !== undefined && output === call.outputValue) out.written.add('outputValue');
}
