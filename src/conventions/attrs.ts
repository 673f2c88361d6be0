// Reading and writing attribute values in the shapes conventions use.
import { valuesByKey } from './order.js';
import type { AnyValue, Attributes } from '../model/batch.js';
import { toPlain } from '../model/values.js';
import type { ScalarType, ScalarValue } from './record.js';

export function asString(v: AnyValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.type === 'string') return v.value;
  if (v.type === 'int') return v.value.toString();
  if (v.type === 'double' || v.type === 'bool') return String(v.value);
  return undefined;
}

/** A number from an int, a double, or a numeric string (hand-written payloads send all three). */
export function asNumber(v: AnyValue | undefined): number | undefined {
  if (!v) return undefined;
  if (v.type === 'int') return Number(v.value);
  if (v.type === 'double') return v.value;
  if (v.type === 'string' && v.value.trim() !== '' && Number.isFinite(Number(v.value))) return Number(v.value);
  return undefined;
}

function asBool(v: AnyValue | undefined): boolean | undefined {
  if (!v) return undefined;
  if (v.type === 'bool') return v.value;
  if (v.type === 'string' && (v.value === 'true' || v.value === 'false')) return v.value === 'true';
  return undefined;
}

export function asStringArray(v: AnyValue | undefined): string[] | undefined {
  if (!v) return undefined;
  if (v.type === 'array') {
    const out = v.value.map(asString);
    return out.every((x) => x !== undefined) ? (out as string[]) : undefined;
  }
  if (v.type === 'string') {
    const parsed = parseJson(v.value);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    return [v.value];
  }
  return undefined;
}

export function readScalar(v: AnyValue | undefined, type: ScalarType): ScalarValue | undefined {
  switch (type) {
    case 'string':
      return asString(v);
    case 'number':
      return asNumber(v);
    case 'int': {
      const n = asNumber(v);
      return n !== undefined && Number.isInteger(n) ? n : undefined;
    }
    case 'bool':
      return asBool(v);
    case 'string[]':
      return asStringArray(v);
  }
}

export function writeScalar(value: ScalarValue, type: ScalarType): AnyValue {
  switch (type) {
    case 'string':
      return { type: 'string', value: String(value) };
    case 'int':
      return { type: 'int', value: BigInt(value as number) };
    case 'number':
      return { type: 'double', value: value as number };
    case 'bool':
      return { type: 'bool', value: value as boolean };
    case 'string[]':
      return { type: 'array', value: (value as string[]).map((s) => ({ type: 'string', value: s })) };
  }
}

export function parseJson(text: string): unknown {
  const c = text.trimStart()[0];
  if (c !== '[' && c !== '{' && c !== '"') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A string attribute holding JSON, parsed; undefined when absent or not JSON. */
export function jsonAttr(attrs: Attributes, key: string): unknown {
  const v = attrs.get(key);
  if (!v) return undefined;
  if (v.type === 'string') return parseJson(v.value);
  if (v.type === 'array' || v.type === 'kvlist') return toPlain(v);
  return undefined;
}

export const str = (value: string): AnyValue => ({ type: 'string', value });
export const json = (value: unknown): AnyValue => ({ type: 'string', value: JSON.stringify(value) });

/**
 * From an item map, the flattened sub-list `<prefix>.<i>.<rest>` as one map of rest → value per
 * index, in index order. Gaps are skipped.
 */
export function subIndexed(item: Map<string, AnyValue>, prefix: string): Map<string, AnyValue>[] {
  let byIndex: Map<number, Map<string, AnyValue>> | undefined;
  const n = prefix.length;
  item.forEach((value, key) => {
    if (key.length <= n + 1 || key.charCodeAt(n) !== 46 || !key.startsWith(prefix)) return;
    const dot = key.indexOf('.', n + 1);
    const idx = dot < 0 ? key.slice(n + 1) : key.slice(n + 1, dot);
    if (!isDigits(idx)) return;
    const i = Number(idx);
    byIndex ??= new Map();
    let m = byIndex.get(i);
    if (!m) byIndex.set(i, (m = new Map()));
    m.set(dot < 0 ? '' : key.slice(dot + 1), value);
  });
  return byIndex ? valuesByKey(byIndex) : [];
}

/** True for a non-empty run of ASCII digits (a list index). */
export function isDigits(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
