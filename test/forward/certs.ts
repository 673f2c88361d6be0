// A throwaway PKI made with openssl in a temp dir: a test CA, a server certificate it signs (for
// localhost, 127.0.0.1 and upstream.internal), a client certificate it signs, and a self-signed one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Pki {
  dir: string;
  /** Paths. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  selfSignedCert: string;
  selfSignedKey: string;
  read(path: string): Buffer;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const SERVER_EXT = 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,DNS:upstream.internal,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';

function signed(dir: string, name: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'tracebridge-pki-'));
  const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tracebridge test CA', ...ca]);
  signed(dir, 'server', SERVER_EXT);
  signed(dir, 'client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const san = ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', ...san]);
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    selfSignedCert: at('self.pem'),
    selfSignedKey: at('self.key'),
    read: (path) => readFileSync(path),
  };
}

/** Another server certificate from the same CA (a renewal): its paths, under a name of its own. */
export function renewServerCert(pki: Pki, name: string): { cert: string; key: string } {
  signed(pki.dir, name, SERVER_EXT);
  return { cert: join(pki.dir, `${name}.pem`), key: join(pki.dir, `${name}.key`) };
}
