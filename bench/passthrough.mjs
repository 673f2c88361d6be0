// The floor reference: an http-proxy forwarder that does not decode anything.
//   node bench/passthrough.mjs <target URL> <port>
import http from 'node:http';
import httpProxy from 'http-proxy';

const [target, port] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_err, _req, res) => {
  res.writeHead(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`passthrough listening on http://127.0.0.1:${server.address().port}\n`));
