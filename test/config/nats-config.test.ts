// The nats settings: --nats over TRACEBRIDGE_NATS_URL over the YAML's servers (its other
// settings kept), the defaults, and what is refused.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { replicasOf } from '../../src/receive/jetstream-log.js';

const file = (doc: Record<string, unknown>) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tb-nats-cfg-')), 'tracebridge.yaml');
  writeFileSync(path, stringify(doc));
  return path;
};

t.test('without --nats: no NATS, the local layer', async (t) => {
  t.equal(loadConfig({}, {}).nats, undefined);
});

t.test('--nats and TRACEBRIDGE_NATS_URL: comma-separated servers, the flag first', async (t) => {
  const c = loadConfig({ nats: 'nats://a:4222, nats://b:4222' }, { TRACEBRIDGE_NATS_URL: 'nats://env:4222' });
  t.same(c.nats, { servers: ['nats://a:4222', 'nats://b:4222'], stream: 'tracebridge' });
  t.same(loadConfig({}, { TRACEBRIDGE_NATS_URL: 'nats://env:4222' }).nats?.servers, ['nats://env:4222']);
  t.equal(replicasOf(c.nats!), 2, 'replicas: the smaller of 3 and the servers given');
  t.equal(replicasOf(loadConfig({ nats: 'a:1,b:2,c:3,d:4' }, {}).nats!), 3);
});

t.test('the YAML: its servers replaced by the flag, its other settings kept', async (t) => {
  const config = file({ nats: { servers: ['nats://yaml:4222'], stream: 'traces', replicas: 1 } });
  t.same(loadConfig({ config }, {}).nats, { servers: ['nats://yaml:4222'], stream: 'traces', replicas: 1 });
  t.same(loadConfig({ config, nats: 'nats://flag:4222' }, {}).nats, { servers: ['nats://flag:4222'], stream: 'traces', replicas: 1 });
});

t.test('refused: no server, a URL with a path, a stream name NATS cannot take, an unknown key', async (t) => {
  t.throws(() => loadConfig({ config: file({ nats: { servers: [] } }) }, {}), /nats\.servers/);
  t.throws(() => loadConfig({ nats: 'http://a:4222/x' }, {}), /expected nats:\/\/HOST:PORT/);
  t.throws(() => loadConfig({ config: file({ nats: { servers: ['a:1'], stream: 'a.b' } }) }, {}), /nats\.stream/);
  t.throws(() => loadConfig({ config: file({ nats: { servers: ['a:1'], replica: 3 } }) }, {}), /replica/);
});
