// Receiver TLS in the configuration: the YAML's `tls`, --tls-* flags and TRACEBRIDGE_TLS_* twins;
// `validate` checks the files as the receivers load them, one line per problem; a reload takes
// new paths in place and leaves turning TLS or mTLS on or off to a restart.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { applyReload } from '../../src/config/reload.js';
import { makePki } from '../forward/certs.js';
import { runCli } from '../helpers/cli.js';

const pki = makePki();
const dir = mkdtempSync(join(tmpdir(), 'tb-tls-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const lines = (stderr: string) => stderr.split('\n').filter(Boolean);

t.test('flags over the environment over the YAML, field by field', async (t) => {
  const yaml = file('a.yaml', `tls:\n  cert: /from/yaml.pem\n  key: /from/yaml.key\n`);
  t.same(loadConfig({ config: yaml }, {}).tls, { cert: '/from/yaml.pem', key: '/from/yaml.key' }, 'the YAML');
  const env = { TRACEBRIDGE_TLS_KEY: '/from/env.key', TRACEBRIDGE_TLS_CLIENT_CA: '/from/env-ca.pem' };
  t.same(loadConfig({ config: yaml }, env).tls, { cert: '/from/yaml.pem', key: '/from/env.key', clientCa: '/from/env-ca.pem' }, 'the environment over it');
  t.same(
    loadConfig({ config: yaml, tlsCert: '/flag.pem', tlsClientCa: '/flag-ca.pem' }, env).tls,
    { cert: '/flag.pem', key: '/from/env.key', clientCa: '/flag-ca.pem' },
    'flags over both',
  );
  t.equal(loadConfig({}, {}).tls, undefined, 'off unless given');
  t.throws(() => loadConfig({ tlsCert: '/a.pem' }, {}), /tls\.key: Required/, 'a certificate needs its key');
  const collector = file('b.yaml', `tls:\n  cert_file: /a.pem\n  key_file: /a.key\n`);
  t.throws(() => loadConfig({ config: collector }, {}), /tls\.cert_file: unknown key \(known: cert, key, clientCa, reloadIntervalMs\)/, "the Collector's names point to ours");
});

t.test('validate: good files described, exit 0', async (t) => {
  const r = await runCli(['validate', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-client-ca', pki.ca]);
  t.equal(r.code, 0, r.stderr);
  const out = r.stdout.toString();
  t.match(
    out,
    new RegExp(
      `tls on for both receivers: cert ${pki.serverCert} \\(CN=server, valid until [^)]+\\), key ${pki.serverKey}; clients need a certificate signed by ${pki.ca} \\(mTLS\\)`,
    ),
  );
  const plain = await runCli(['validate']);
  t.match(plain.stdout.toString(), /tls off: both receivers take plain text/);
});

t.test('validate: each problem with the files on a line of its own, exit 2', async (t) => {
  const garbage = file('garbage.pem', 'not a pem file\n');
  const broken = file('broken.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const cases: Array<[string, string[], RegExp[]]> = [
    ['a missing certificate', ['--tls-cert', '/nonexistent/cert.pem', '--tls-key', pki.serverKey], [/^tracebridge: tls\.cert: cannot read \/nonexistent\/cert\.pem: ENOENT$/]],
    [
      'the key of another certificate',
      ['--tls-cert', pki.serverCert, '--tls-key', pki.clientKey],
      [new RegExp(`^tracebridge: tls\\.key: ${pki.clientKey} is not the key of the certificate in ${pki.serverCert}$`)],
    ],
    ['a key file that is no key', ['--tls-cert', pki.serverCert, '--tls-key', garbage], [new RegExp(`^tracebridge: tls\\.key: ${garbage} is not a PEM private key`)]],
    [
      'two problems at once',
      ['--tls-cert', broken, '--tls-key', pki.serverKey, '--tls-client-ca', garbage],
      [new RegExp(`^tracebridge: tls\\.cert: ${broken} holds a certificate that does not parse`), new RegExp(`^tracebridge: tls\\.clientCa: ${garbage} holds no PEM certificate$`)],
    ],
  ];
  for (const [what, args, expected] of cases) {
    const r = await runCli(['validate', ...args]);
    t.equal(r.code, 2, `${what}: exit 2`);
    const got = lines(r.stderr);
    t.equal(got.length, expected.length, `${what}: ${got.join(' | ')}`);
    expected.forEach((re, i) => t.match(got[i], re));
  }
  const env = await runCli(['validate'], undefined, { TRACEBRIDGE_TLS_CERT: '/nonexistent/env.pem', TRACEBRIDGE_TLS_KEY: pki.serverKey });
  t.match(lines(env.stderr), [/tls\.cert: cannot read \/nonexistent\/env\.pem/], 'the TRACEBRIDGE_TLS_* twins checked alike');
  const serve = await runCli(['serve', '--listen', '127.0.0.1:0', '--tls-cert', pki.serverCert, '--tls-key', pki.clientKey]);
  t.equal(serve.code, 2, 'serve refuses to start on the same problem');
  t.match(lines(serve.stderr), [/tls\.key: .* is not the key of the certificate/]);
});

t.test('reload: other paths in place, TLS or mTLS turned on or off left for a restart', async (t) => {
  const base = (tls?: Record<string, string | number>) => loadConfig({ config: file('r.yaml', JSON.stringify(tls ? { tls } : {})) }, {});
  const noop = () => undefined;
  const current = base({ cert: '/a.pem', key: '/a.key' });
  t.match(applyReload(current, base({ cert: '/b.pem', key: '/b.key' }), noop), { changed: ['tls files'], restart: [] });
  t.same(current.tls, { cert: '/b.pem', key: '/b.key' }, 'the new paths, read at this reload');
  t.match(applyReload(current, base({ cert: '/b.pem', key: '/b.key', clientCa: '/ca.pem' }), noop), { changed: [], restart: ['tls (turned on or off, or clientCa)'] });
  t.match(applyReload(current, base(), noop), { changed: [], restart: ['tls (turned on or off, or clientCa)'] });
  t.same(current.tls, { cert: '/b.pem', key: '/b.key' }, 'kept as it was');
  const watched = base({ cert: '/a.pem', key: '/a.key', reloadIntervalMs: 1000 });
  t.match(applyReload(watched, base({ cert: '/c.pem', key: '/c.key', reloadIntervalMs: 50 }), noop), { changed: ['tls files'], restart: ['tls.reloadIntervalMs'] });
  t.same(watched.tls, { cert: '/c.pem', key: '/c.key', reloadIntervalMs: 1000 }, 'new paths; the watch keeps its interval');
  t.match(applyReload(watched, base({ cert: '/c.pem', key: '/c.key', reloadIntervalMs: 1000 }), noop), { changed: [], restart: [] }, 'nothing changed');
});
