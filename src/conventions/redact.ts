// Redaction before an upstream sees a span: listed attributes dropped or hashed, and patterns
// (emails, card and phone numbers, API-key shapes, custom regexes) replaced inside every string
// value, so inside message texts, tool arguments and results too (they travel as JSON text, and
// no pattern matches a quote or a backslash, so the JSON stays whole). Never modifies its input.
import { createHash } from 'node:crypto';
import type { AnyValue, Attributes, Span, SpanBatch, SpanEvent } from '../model/batch.js';
import { toPlain } from '../model/values.js';

export interface RedactRules {
  /** Attribute keys removed; a trailing `*` matches a prefix (`user.*`). */
  drop?: string[];
  /** Attribute keys whose values become `sha256:<first 16 hex>`, the same for the same value. */
  hash?: string[];
  /** Built-in pattern names (`email`, `card`, `phone`, `api-key`) or regular expressions. */
  patterns?: string[];
}

export type RedactCounts = Map<string, number>;

const BUILT_IN: Record<string, RegExp> = {
  email: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
  // 13 to 19 digits, spaces or dashes between; kept only when the Luhn check passes.
  card: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
  phone: /(?<![\w+])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]?\d{3,4}(?!\w)/g,
  'api-key': /\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|xox[abpr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})\b/g,
};

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Rules checked once: an unknown name or a bad regex is a start-up error naming it. */
export function compileRules(rules: RedactRules): Redactor {
  const patterns = (rules.patterns ?? []).map((p) => {
    if (BUILT_IN[p]) return { name: p, re: new RegExp(BUILT_IN[p].source, 'g') };
    try {
      return { name: 'custom', re: new RegExp(p, 'g') };
    } catch (err) {
      throw new Error(`redact.patterns: ${JSON.stringify(p)} is neither ${Object.keys(BUILT_IN).join(', ')} nor a valid regular expression (${(err as Error).message})`);
    }
  });
  const exact = new Set((rules.drop ?? []).filter((k) => !k.endsWith('*')));
  const prefixes = (rules.drop ?? []).filter((k) => k.endsWith('*')).map((k) => k.slice(0, -1));
  const hashed = new Set(rules.hash ?? []);
  return new Redactor(exact, prefixes, hashed, patterns);
}

export class Redactor {
  constructor(
    private readonly exact: Set<string>,
    private readonly prefixes: string[],
    private readonly hashed: Set<string>,
    private readonly patterns: Array<{ name: string; re: RegExp }>,
  ) {}

  get empty(): boolean {
    return !this.exact.size && !this.prefixes.length && !this.hashed.size && !this.patterns.length;
  }

  /** The batch with every rule applied, and how often each rule fired. */
  batch(b: SpanBatch, counts: RedactCounts = new Map()): SpanBatch {
    if (this.empty) return b;
    return {
      resourceSpans: b.resourceSpans.map((rs) => ({
        ...rs,
        resource: { ...rs.resource, attributes: this.attrs(rs.resource.attributes, counts) },
        scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.map((s) => this.span(s, counts)) })),
      })),
    };
  }

  span(s: Span, counts: RedactCounts): Span {
    const events = s.events.map((e): SpanEvent => ({ ...e, attributes: this.attrs(e.attributes, counts) }));
    return { ...s, name: this.text(s.name, counts), attributes: this.attrs(s.attributes, counts), events, status: { ...s.status, message: this.text(s.status.message, counts) } };
  }

  private attrs(a: Attributes, counts: RedactCounts): Attributes {
    const out: Attributes = new Map();
    for (const [k, v] of a) {
      if (this.exact.has(k) || this.prefixes.some((p) => k.startsWith(p))) {
        bump(counts, 'drop');
        continue;
      }
      if (this.hashed.has(k)) {
        bump(counts, 'hash');
        out.set(k, {
          type: 'string',
          value:
            'sha256:' +
            createHash('sha256')
              .update(JSON.stringify(toPlain(v)))
              .digest('hex')
              .slice(0, 16),
        });
        continue;
      }
      out.set(k, this.value(v, counts));
    }
    return out;
  }

  private value(v: AnyValue, counts: RedactCounts): AnyValue {
    if (v.type === 'string') {
      const t = this.text(v.value, counts);
      return t === v.value ? v : { type: 'string', value: t };
    }
    if (v.type === 'array') return { type: 'array', value: v.value.map((x) => this.value(x, counts)) };
    if (v.type === 'kvlist') return { type: 'kvlist', value: this.attrs(v.value, counts) };
    return v;
  }

  /** A string with every pattern's matches replaced by `[REDACTED:<rule>]`. */
  text(s: string, counts: RedactCounts): string {
    let out = s;
    for (const { name, re } of this.patterns)
      out = out.replace(re, (m) => {
        if (name === 'card' && !luhn(m.replace(/[ -]/g, ''))) return m;
        bump(counts, name);
        return `[REDACTED:${name}]`;
      });
    return out;
  }
}

function bump(counts: RedactCounts, rule: string): void {
  counts.set(rule, (counts.get(rule) ?? 0) + 1);
}
