// Flattened sub-lists (`message.contents.0.message_content.text`) against the straightforward
// reading: every key split on its dots, the index kept when it is all digits.
import t from 'tap';
import fc from 'fast-check';
import { subIndexed } from '../../src/conventions/attrs.js';
import type { AnyValue } from '../../src/model/batch.js';

function reference(item: Map<string, AnyValue>, prefix: string): Map<string, AnyValue>[] {
  const byIndex = new Map<number, Map<string, AnyValue>>();
  for (const [key, value] of item) {
    if (!key.startsWith(prefix + '.')) continue;
    const rest = key.slice(prefix.length + 1);
    const dot = rest.indexOf('.');
    const idx = dot < 0 ? rest : rest.slice(0, dot);
    if (!/^\d+$/.test(idx)) continue;
    const i = Number(idx);
    if (!byIndex.has(i)) byIndex.set(i, new Map());
    byIndex.get(i)!.set(dot < 0 ? '' : rest.slice(dot + 1), value);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
}

const segment = fc.constantFrom('contents', 'tool_calls', '0', '1', '2', '10', '01', 'x', '', 'message_content', 'text', 'type', '٣');
const key = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'));

t.test('the same lists as the straightforward reading', async () => {
  fc.assert(
    fc.property(fc.array(key, { maxLength: 20 }), fc.constantFrom('contents', 'tool_calls', 'x', ''), (keys, prefix) => {
      const item = new Map<string, AnyValue>(keys.map((k, i) => [k, { type: 'string', value: String(i) }]));
      const got = subIndexed(item, prefix).map((m) => [...m]);
      const want = reference(item, prefix).map((m) => [...m]);
      return JSON.stringify(got) === JSON.stringify(want);
    }),
    { numRuns: 2000 },
  );
});
