// replay's and migrate's progress: a bar redrawn in place on a terminal, plain lines (at most every 2 s) in logs.

export interface Progress {
  update(done: number, total: number, spansPerSec: number): void;
  /** A line that must be seen now (the backend cannot be reached, and when the next try is). */
  note(line: string): void;
  /** Clears the bar (the summary follows); a log gets no closing line. */
  end(): void;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

function progressText(done: number, total: number, rate: number): string {
  const pct = total ? Math.floor((done / total) * 100) : 100;
  const eta = rate > 0 && done < total ? `, ETA ${Math.ceil((total - done) / rate)}s` : '';
  return `${n(done)}/${n(total)} spans (${pct}%), ${n(rate)} spans/s${eta}`;
}

/** Erases the terminal line: the cursor back to its start, everything after it cleared. */
const CLEAR = '\r\x1b[K';

export function progressReporter(stream: NodeJS.WritableStream & { isTTY?: boolean }, command = 'replay'): Progress {
  const tty = stream.isTTY === true;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, rate) {
      const text = progressText(done, total, rate);
      if (tty) {
        const width = 30;
        const fill = Math.round((total ? done / total : 1) * width);
        stream.write(`${CLEAR}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${text}`);
        drawn = true;
      } else if (Date.now() - last >= 2000 || done === total) {
        last = Date.now();
        stream.write(`${command}: ${text}\n`);
      }
    },
    note(line) {
      stream.write(`${tty ? CLEAR : ''}${command}: ${line}\n`);
    },
    end() {
      // Also wipes the "^C" a terminal echoes on Ctrl-C.
      if (tty && drawn) stream.write(CLEAR);
    },
  };
}
