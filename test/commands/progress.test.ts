// replay's progress output: on a terminal the bar is redrawn without stale characters and wiped
// at the end (also after Ctrl-C); in a log, no closing "(100%), 0 spans/s, ETA ?" line.
import t from 'tap';
import { join } from 'node:path';
import { progressReporter } from '../../src/commands/progress.js';
import { runCli } from '../helpers/cli.js';
import { fakeLangtrace } from '../helpers/upstreams.js';
import { oneFile } from './history.js';

/** What a terminal shows for what was written: \r, ESC[K and \n as a terminal obeys them. */
function screen(written: string): string[] {
  const lines: string[] = [''];
  let col = 0;
  for (let i = 0; i < written.length; i++) {
    const row = lines.length - 1;
    if (written.startsWith('\x1b[K', i)) {
      lines[row] = lines[row].slice(0, col);
      i += 2;
    } else if (written[i] === '\r') col = 0;
    else if (written[i] === '\n') {
      lines.push('');
      col = 0;
    } else {
      const l = lines[row].padEnd(col);
      lines[row] = l.slice(0, col) + written[i] + l.slice(col + 1);
      col++;
    }
  }
  return lines;
}

function terminal() {
  let written = '';
  const stream = { isTTY: true, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, screen: () => screen(written), type: (s: string) => (written += s) };
}

t.test('on a terminal: a shorter redraw leaves nothing behind, and the end (or Ctrl-C) wipes the bar', async (t) => {
  const term = terminal();
  const p = progressReporter(term.stream);
  p.update(10, 100_000, 3);
  t.match(term.screen().at(-1), /ETA 33,?330s$/);
  p.update(99_990, 100_000, 12_345);
  t.match(term.screen().at(-1)!, /^\[#+\] 99,990\/100,000 spans \(99%\), 12,345 spans\/s, ETA 1s$/, 'the shorter line, nothing stale after it');
  term.type('^C'); // what the terminal echoes on Ctrl-C
  p.end();
  t.same(term.screen(), [''], 'the progress line is cleared');
  const noted = terminal();
  const q = progressReporter(noted.stream);
  q.update(1, 10, 1);
  q.note('http://x failed (HTTP 503), attempt 1; next try in 1.0 s');
  q.update(2, 10, 1);
  q.end();
  t.same(noted.screen(), ['replay: http://x failed (HTTP 503), attempt 1; next try in 1.0 s', ''], 'a note replaces the bar; the bar goes at the end');
});

t.test('in a log: plain lines, the last one with the real rate, no "0 spans/s, ETA ?"', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => langtrace.close());
  const { dir, file } = oneFile(1500);
  const r = await runCli(['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(dir, 'data'), file], undefined, { LANGTRACE_API_KEY: 'LK' });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  t.match(lines.at(-1), /^replay: 1,500\/1,500 spans \(100%\), [1-9][\d,]* spans\/s$/, 'the last line: done, at the rate it went');
  t.notMatch(r.stderr, /ETA \?/);
  t.notOk(r.stderr.includes('\r') || r.stderr.includes('\x1b'), 'no terminal codes in a log');
  const again = await runCli(['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(dir, 'data'), file], undefined, { LANGTRACE_API_KEY: 'LK' });
  t.equal(again.stderr, '', 'nothing left to send: no progress line at all');
});
