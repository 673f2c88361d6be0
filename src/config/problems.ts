// Configuration problems as one line each: where, what, and for a mistyped key the nearest known one.
import type { ZodError, ZodIssue, ZodTypeAny } from 'zod';

/** Edit distance between two words, case-insensitive (`datadir` is one step from `dataDir`'s spelling). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known name nearest to `word`, when near enough to be a typo of it. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  const scored = known.map((k) => [k, distance(word, k)] as const).sort((x, y) => x[1] - y[1]);
  const best = scored[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : undefined;
}

/** The schema of the value at `path` (list indexes and record keys stepped through), if it has one. */
function schemaAt(schema: ZodTypeAny, path: ReadonlyArray<string | number>): ZodTypeAny | undefined {
  let s: ZodTypeAny | undefined = schema;
  let i = 0;
  while (s) {
    const def = s._def as { typeName?: string; schema?: ZodTypeAny; innerType?: ZodTypeAny; type?: ZodTypeAny; valueType?: ZodTypeAny; shape?: () => Record<string, ZodTypeAny> };
    const wrapped = def.typeName === 'ZodEffects' ? def.schema : ['ZodDefault', 'ZodOptional', 'ZodNullable'].includes(def.typeName ?? '') ? def.innerType : undefined;
    if (wrapped) {
      s = wrapped;
      continue;
    }
    if (i === path.length) return s;
    const step = String(path[i++]);
    if (def.typeName === 'ZodArray') s = def.type;
    else if (def.typeName === 'ZodRecord') s = def.valueType;
    else if (def.typeName === 'ZodObject') s = def.shape!()[step];
    else return undefined;
  }
  return undefined;
}

function knownKeys(schema: ZodTypeAny, path: ReadonlyArray<string | number>): string[] {
  const s = schemaAt(schema, path);
  const def = s?._def as { typeName?: string; shape?: () => Record<string, unknown> } | undefined;
  return def?.typeName === 'ZodObject' ? Object.keys(def.shape!()) : [];
}

function issueLines(schema: ZodTypeAny, issue: ZodIssue): string[] {
  const at = issue.path.join('.');
  const prefix = at ? `${at}: ` : '';
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path);
    return issue.keys.map((k) => {
      const near = nearest(k, known);
      return `${at ? `${at}.` : ''}${k}: unknown key${near ? `; did you mean ${near}?` : known.length ? ` (known: ${known.join(', ')})` : ''}`;
    });
  }
  if (issue.code === 'invalid_enum_value') {
    const near = nearest(String(issue.received), issue.options.map(String));
    return [`${prefix}"${String(issue.received)}" is not one of ${issue.options.join(', ')}${near ? `; did you mean ${near}?` : ''}`];
  }
  return [`${prefix}${issue.message}`];
}

/** Every issue zod found, one line each (an unknown key names the nearest known one). */
export function zodProblems(schema: ZodTypeAny, err: ZodError): string[] {
  return err.issues.flatMap((i) => issueLines(schema, i));
}
