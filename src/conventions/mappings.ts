// Loads the declarative key tables in mappings/, validates them, and applies user overrides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../wire/proto.js';
import { SCALAR_FIELDS, type ScalarField } from './record.js';

export const CONVENTIONS = [
  'otel-genai',
  'otel-genai-legacy',
  'openinference',
  'openllmetry',
  'langtrace',
  'langtrace-legacy',
  'langtrace-docs',
  'vercel-ai',
  'langfuse',
  'mlflow',
  'google-adk',
  'pydantic-ai',
  'mastra',
] as const;
export type Convention = (typeof CONVENTIONS)[number];

/** `otel-genai-additive`: OTel GenAI's keys written beside every original, none replaced (any other OTLP backend). */
export const PROFILES = ['weave', 'langtrace', 'otel-genai', 'openinference', 'otel-genai-additive'] as const;
export type Profile = (typeof PROFILES)[number];

export interface Mappings {
  /** Per convention: attribute key → the fields it fills, in file order. */
  read: Record<Convention, Array<[string, ScalarField[]]>>;
  /** Per profile: field → the keys written for it. */
  write: Record<Profile, Array<[ScalarField, string[]]>>;
  /** The read tables by attribute key, so a span's attributes are looked up once each. */
  byKey: Map<string, Array<{ convention: Convention; rank: number; fields: ScalarField[] }>>;
}

/** Overrides from config: the same shape as the files; null removes an entry. */
export interface MappingOverrides {
  read?: Record<string, Record<string, string | string[] | null>>;
  write?: Record<string, Record<string, string[] | null>>;
}

export class MappingError extends Error {
  override name = 'MappingError';
}

function isField(f: unknown): f is ScalarField {
  return typeof f === 'string' && Object.hasOwn(SCALAR_FIELDS, f);
}

function check<T extends string>(name: string, allowed: readonly T[], where: string): T {
  if (!(allowed as readonly string[]).includes(name)) throw new MappingError(`${where}: unknown name "${name}" (expected one of: ${allowed.join(', ')})`);
  return name as T;
}

function compile(readRaw: Record<string, unknown>, writeRaw: Record<string, unknown>, where: string): Mappings {
  const read = Object.fromEntries(CONVENTIONS.map((c) => [c, [] as Array<[string, ScalarField[]]>])) as Mappings['read'];
  for (const [conv, table] of Object.entries(readRaw)) {
    if (conv.startsWith('$')) continue;
    const c = check(conv, CONVENTIONS, `${where} read`);
    if (typeof table !== 'object' || table === null) throw new MappingError(`${where} read.${conv}: expected an object`);
    for (const [key, target] of Object.entries(table)) {
      if (target === null) continue;
      const fields = Array.isArray(target) ? target : [target];
      for (const f of fields)
        if (!isField(f)) throw new MappingError(`${where} read.${conv}["${key}"]: unknown field ${JSON.stringify(f)} (fields: ${Object.keys(SCALAR_FIELDS).join(', ')})`);
      read[c].push([key, fields as ScalarField[]]);
    }
  }
  const write = Object.fromEntries(PROFILES.map((p) => [p, [] as Array<[ScalarField, string[]]>])) as Mappings['write'];
  for (const [profile, table] of Object.entries(writeRaw)) {
    if (profile.startsWith('$')) continue;
    const p = check(profile, PROFILES, `${where} write`);
    if (typeof table !== 'object' || table === null) throw new MappingError(`${where} write.${profile}: expected an object`);
    for (const [field, keys] of Object.entries(table)) {
      if (keys === null) continue;
      if (!isField(field)) throw new MappingError(`${where} write.${profile}: unknown field "${field}"`);
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || k === ''))
        throw new MappingError(`${where} write.${profile}.${field}: expected a list of attribute keys`);
      write[p].push([field, keys]);
    }
  }
  // The additive profile writes OTel GenAI's keys: its table unless one is given for it.
  if (!Object.hasOwn(writeRaw, 'otel-genai-additive')) write['otel-genai-additive'] = write['otel-genai'];
  const byKey: Mappings['byKey'] = new Map();
  for (const c of CONVENTIONS)
    read[c].forEach(([key, fields], rank) => {
      let hits = byKey.get(key);
      if (!hits) byKey.set(key, (hits = []));
      hits.push({ convention: c, rank, fields });
    });
  return { read, write, byKey };
}

function merge(base: Record<string, unknown>, over: Record<string, Record<string, unknown>> | undefined): Record<string, unknown> {
  if (!over) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [name, table] of Object.entries(over)) {
    const merged: Record<string, unknown> = { ...((base[name] as Record<string, unknown>) ?? {}) };
    for (const [k, v] of Object.entries(table ?? {})) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    out[name] = merged;
  }
  return out;
}

function readTable(file: string): Record<string, unknown> {
  const path = join(packageRoot(), 'mappings', file);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new MappingError(`cannot load ${path}: ${(err as Error).message}`);
  }
}

let defaults: Mappings | undefined;

/** The mapping tables, with overrides applied (validated: a bad entry is a start-up error). */
export function loadMappings(overrides?: MappingOverrides): Mappings {
  if (!overrides && defaults) return defaults;
  const readRaw = merge(readTable('read.json'), overrides?.read);
  const writeRaw = merge(readTable('write.json'), overrides?.write);
  const m = compile(readRaw, writeRaw, overrides ? 'mappings (with overrides)' : 'mappings');
  if (!overrides) defaults = m;
  return m;
}
