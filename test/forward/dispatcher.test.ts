// Which proxy the environment names for an upstream: HTTPS_PROXY / HTTP_PROXY by scheme, never
// for loopback, and NO_PROXY's names, suffixes, ports, addresses and ranges.
import t from 'tap';
import { envProxy } from '../../src/forward/dispatcher.js';

const P = 'http://proxy.corp:3128';
const via = (url: string, env: NodeJS.ProcessEnv) => envProxy(new URL(url), env);

t.test('the scheme picks the variable; lower-case first', async (t) => {
  t.equal(via('https://trace.wandb.ai', { HTTPS_PROXY: P }), P);
  t.equal(via('http://collector.corp:4318', { HTTPS_PROXY: P }), undefined, 'http does not use HTTPS_PROXY');
  t.equal(via('http://collector.corp:4318', { HTTP_PROXY: P }), P);
  t.equal(via('https://trace.wandb.ai', { https_proxy: 'http://lower:1', HTTPS_PROXY: P }), 'http://lower:1');
  t.equal(via('https://trace.wandb.ai', { HTTPS_PROXY: 'proxy.corp:3128' }), P, 'a bare host:port is http://');
  t.equal(via('https://trace.wandb.ai', {}), undefined);
  t.throws(() => via('https://trace.wandb.ai', { HTTPS_PROXY: 'socks5://u:secret@p:1080' }), { message: 'HTTPS_PROXY is not an http(s) proxy URL' }, 'no password in the message');
});

t.test('loopback is never proxied', async (t) => {
  for (const url of ['http://localhost:4318', 'http://127.0.0.1:4318', 'https://127.3.4.5', 'http://[::1]:4318', 'http://api.localhost'])
    t.equal(via(url, { HTTP_PROXY: P, HTTPS_PROXY: P }), undefined, url);
});

t.test('NO_PROXY', async (t) => {
  const env = (NO_PROXY: string) => ({ HTTPS_PROXY: P, NO_PROXY });
  t.equal(via('https://trace.wandb.ai', env('wandb.ai')), undefined, 'a name covers its subdomains');
  t.equal(via('https://wandb.ai', env('.wandb.ai')), undefined, 'a leading dot too');
  t.equal(via('https://trace.wandb.ai', env('*.wandb.ai')), undefined, 'and *.');
  t.equal(via('https://notwandb.ai', env('wandb.ai')), P, 'but not another name ending alike');
  t.equal(via('https://trace.wandb.ai', env('other.corp, trace.wandb.ai:443')), undefined, 'a list, with a port');
  t.equal(via('https://trace.wandb.ai', env('trace.wandb.ai:8443')), P, 'another port: proxied');
  t.equal(via('https://10.1.2.3', env('10.0.0.0/8')), undefined, 'a CIDR range');
  t.equal(via('https://11.1.2.3', env('10.0.0.0/8')), P);
  t.equal(via('https://[fd00::5]', env('fd00::/8')), undefined, 'IPv6 too');
  t.equal(via('https://[fd00::5]:8443', env('[fd00::5]:8443')), undefined);
  t.equal(via('https://anything', env('*')), undefined, '* covers all');
  t.equal(via('https://trace.wandb.ai', { HTTPS_PROXY: P, no_proxy: 'wandb.ai', NO_PROXY: 'x' }), undefined, 'no_proxy first');
});
