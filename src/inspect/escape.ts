// Text from traces and from upstreams' replies, made safe for a terminal: control characters
// (C0, ESC, DEL, C1) are shown as \xNN instead of being obeyed, so a span named with escape
// sequences cannot retitle or clear the operator's screen.

// eslint-disable-next-line no-control-regex
const ALL = /[\x00-\x1f\x7f-\x9f]/g;
// eslint-disable-next-line no-control-regex
const BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** One line of text: every control character escaped. `multiline` keeps \n and \t. */
export function escapeControl(s: string, multiline = false): string {
  return s.replace(multiline ? BUT_LINES : ALL, hex);
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0 characters but leaves DEL and C1 as
 * they are; those become \u00NN, which is the same JSON.
 */
export function escapeJson(json: string): string {
  return json.replace(/[\x7f-\x9f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
