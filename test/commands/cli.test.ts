// The command line helps: --help on every command, --version, unknown flags named with a hint,
// exit codes as documented.
import t from 'tap';
import { runCli, spawnServe } from '../helpers/cli.js';
import { VERSION } from '../../src/version.js';
import { waitFor } from '../helpers/wait.js';

t.test('--help, --version and usage errors', async (t) => {
  for (const cmd of ['serve', 'convert', 'inspect', 'replay', 'deadletter']) {
    const r = await runCli([cmd, '--help']);
    t.equal(r.code, 0, `${cmd} --help exits 0`);
    t.match(r.stdout.toString(), new RegExp(`^usage: tracebridge ${cmd}`), `${cmd} --help prints its usage`);
  }
  const v = await runCli(['--version']);
  t.same([v.code, v.stdout.toString()], [0, `tracebridge ${VERSION}\n`]);
  const port = await runCli(['serve', '--port', '4318']);
  t.equal(port.code, 2);
  t.match(port.stderr, /unknown option --port for serve; did you mean --listen HOST:PORT\?/);
  t.match(port.stderr, /\(see tracebridge serve --help\)\n$/, "and where that command's usage is");
  t.equal(port.stderr.split('\n').length, 2, 'on one line');
  const typo = await runCli(['convert', '--too', 'otlp-json']);
  t.match(typo.stderr, /did you mean --to\?/);
  const missing = await runCli(['convert', '--to', 'otlp-json', 'nope.json']);
  t.same([missing.code, missing.stderr], [2, 'tracebridge: cannot read nope.json: no such file\n'], 'a missing file: exit 2, one line');
  const unknown = await runCli(['conver']);
  t.match(unknown.stderr, /unknown command "conver"; did you mean convert\?/);
});

t.test('serve prints both listening lines', async (t) => {
  const s = spawnServe(['--listen', '127.0.0.1:0', '--data-dir', `${process.env.TMPDIR ?? '/tmp'}/tb-cli-${process.pid}`], { TRACEBRIDGE_GRPC_LISTEN: '127.0.0.1:0' });
  t.teardown(() => s.stop());
  await s.url;
  await waitFor(() => /^tracebridge listening for OTLP\/gRPC on 127\.0\.0\.1:\d+$/m.test(s.output()), 10_000, 'the gRPC start line');
  t.pass('gRPC start line');
});
