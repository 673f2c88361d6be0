// Runs the built command line, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

/** Tests run side by side: no process takes the fixed OTLP/gRPC port unless a test says so. */
const QUIET = { TRACEBRIDGE_GRPC_LISTEN: 'off' };

/**
 * Every process a test starts ends with the test process: on a normal exit, and when tap times
 * the test out (it sends SIGTERM), so no `serve` outlives the run.
 */
const children = new Set<ChildProcess>();
export function track<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
const killAll = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.once('exit', killAll);
process.once('SIGTERM', () => {
  killAll();
  process.exit(143);
});

export function runCli(args: string[], input?: Buffer | string, env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...QUIET, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }));
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input ?? '');
  });
}

/** Starts a command to be interrupted: its output so far, and its exit code once it ends. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = track(spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...QUIET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Starts `tracebridge serve` as a user would; resolves its URL from the listening line. */
export function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = track(spawn(process.execPath, [CLI, 'serve', ...args], { env: { ...process.env, ...QUIET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c)); // read it, so a chatty child never blocks on a full pipe
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 10_000);
    child.stdout.on('data', () => {
      const m = out.match(/^tracebridge listening on (https?:\/\/\S+)$/m);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** SIGTERM, then waits for the exit (SIGKILL if it has not stopped in 10 s). */
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, url, exited, stop, output: () => out };
}
