// TLS on the receivers: one certificate for OTLP/HTTP (https) and OTLP/gRPC, with a client CA for
// mTLS. The PEM files are read at start and again on SIGHUP; a new set that does not load is
// refused whole and the running one kept, so a half-written file never takes the receivers down.
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { ServerOptions } from 'node:https';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** The receivers' PEM files (the config's `tls`). */
interface TlsFiles {
  cert: string;
  key: string;
  /** Clients must show a certificate this CA signed, checked in the handshake (mTLS). */
  clientCa?: string;
  /** Also read again this often when their bytes change (the Collector's reload_interval); 0 or absent: on SIGHUP only. */
  reloadIntervalMs?: number;
}

interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(path: string, field: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(`tls.${field}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

/** The certificates of a PEM bundle, or a problem line (none, or one that does not parse). */
function certificates(pem: Buffer, path: string, field: string, problems: string[]): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_CERT) ?? [];
  if (!blocks.length) problems.push(`tls.${field}: ${path} holds no PEM certificate`);
  const out: X509Certificate[] = [];
  for (const b of blocks) {
    try {
      out.push(new X509Certificate(b));
    } catch (err) {
      problems.push(`tls.${field}: ${path} holds a certificate that does not parse: ${(err as Error).message}`);
    }
  }
  return out;
}

function privateKey(pem: Buffer, path: string, problems: string[]): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    problems.push(`tls.key: ${path} is not a PEM private key (an encrypted key is not supported): ${(err as Error).message}`);
    return undefined;
  }
}

/** The server certificate's own checks: it has not expired, and the key is its key. */
function checkPair(leaf: X509Certificate, key: KeyObject, files: TlsFiles, problems: string[]): void {
  if (Date.parse(leaf.validTo) < Date.now()) problems.push(`tls.cert: ${files.cert} expired on ${leaf.validTo}`);
  if (!leaf.checkPrivateKey(key)) problems.push(`tls.key: ${files.key} is not the key of the certificate in ${files.cert}`);
}

/** Reads and checks the files: the material, or one line per problem. */
export function loadTls(files: TlsFiles): { material?: TlsMaterial; problems: string[] } {
  const problems: string[] = [];
  const cert = readPem(files.cert, 'cert', problems);
  const key = readPem(files.key, 'key', problems);
  const ca = files.clientCa === undefined ? undefined : readPem(files.clientCa, 'clientCa', problems);
  const leaf = cert && certificates(cert, files.cert, 'cert', problems)[0];
  const pk = key && privateKey(key, files.key, problems);
  if (leaf && pk) checkPair(leaf, pk, files, problems);
  if (ca) certificates(ca, files.clientCa!, 'clientCa', problems);
  if (problems.length || !cert || !key) return { problems };
  const material = { cert, key, ca };
  try {
    // What the receivers will do with it: anything else Node refuses shows here, not in a handshake.
    createSecureContext(material);
  } catch (err) {
    return { problems: [`tls: ${files.cert} and ${files.key} cannot be used: ${(err as Error).message}`] };
  }
  return { material, problems };
}

/** The files as `validate` shows them: the certificate's subject and expiry, and whether clients need one. */
export function describeTls(files: TlsFiles): string {
  let leaf: X509Certificate | undefined;
  try {
    leaf = new X509Certificate(readFileSync(files.cert));
  } catch {
    // Described only once loaded; a file changed since is shown without its details.
  }
  const cert = leaf ? `${files.cert} (${leaf.subject.replace(/\n/g, ', ')}, valid until ${leaf.validTo})` : files.cert;
  const clients = files.clientCa ? `clients need a certificate signed by ${files.clientCa} (mTLS)` : 'no client certificates asked for';
  return `on for both receivers: cert ${cert}, key ${files.key}; ${clients}`;
}

/** One digest of a set's bytes (undefined: no client CA). */
function digest(parts: Array<Buffer | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p ? `${p.length}:` : '-:').update(p ?? '');
  return h.digest('hex');
}

function filesDigest(files: TlsFiles): string {
  try {
    return digest([files.cert, files.key, files.clientCa].map((f) => (f === undefined ? undefined : readFileSync(f))));
  } catch {
    return 'unreadable';
  }
}

type CaListener = (u: { caCertificate: Buffer } | null) => void;
type IdentityListener = (u: { certificate: Buffer; privateKey: Buffer } | null) => void;

/**
 * The gRPC receiver's certificates, as grpc-js's certificate-provider credentials read them: each
 * update becomes setSecureContext on its HTTP/2 server, for new connections; open ones keep theirs.
 */
class MaterialProvider implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  constructor(private material: TlsMaterial) {}

  private ca = () => (this.material.ca ? { caCertificate: this.material.ca } : null);
  private identity = () => ({ certificate: this.material.cert, privateKey: this.material.key });

  // On the next tick: grpc-js adds its own watcher after these listeners, so an update given at
  // once would be lost and the server would drop every connection as having no credentials.
  addCaCertificateListener(l: CaListener): void {
    this.caListeners.add(l);
    process.nextTick(() => this.caListeners.has(l) && l(this.ca()));
  }
  removeCaCertificateListener(l: CaListener): void {
    this.caListeners.delete(l);
  }
  addIdentityCertificateListener(l: IdentityListener): void {
    this.identityListeners.add(l);
    process.nextTick(() => this.identityListeners.has(l) && l(this.identity()));
  }
  removeIdentityCertificateListener(l: IdentityListener): void {
    this.identityListeners.delete(l);
  }

  set(material: TlsMaterial): void {
    this.material = material;
    for (const l of this.identityListeners) l(this.identity());
    for (const l of this.caListeners) l(this.ca());
  }
}

/** Why the receivers' TLS files cannot be used, one line each. */
class TlsError extends Error {
  override name = 'TlsError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The receivers' TLS, loaded once, handed to both listeners, and reloaded in place. */
export class ReceiverTls {
  private readonly servers = new Set<TlsServer>();
  private readonly provider: MaterialProvider;
  readonly mtls: boolean;
  /** The bytes of the set in use, and of the last set refused, so one change is tried (and logged) once. */
  private inUse: string;
  private refused?: string;

  constructor(
    private files: TlsFiles,
    private material: TlsMaterial,
  ) {
    this.mtls = material.ca !== undefined;
    this.provider = new MaterialProvider(material);
    this.inUse = digest([material.cert, material.key, material.ca]);
  }

  /** Whether the files now hold bytes other than those in use and than the last set refused. */
  changed(files: TlsFiles): boolean {
    const now = filesDigest(files);
    return now !== this.inUse && now !== this.refused;
  }

  /** Loads the files; a TlsError names every problem. */
  static open(files: TlsFiles): ReceiverTls {
    const { material, problems } = loadTls(files);
    if (!material) throw new TlsError(problems);
    return new ReceiverTls(files, material);
  }

  /** The HTTPS server's options: under mTLS a client without a certificate the CA signed is refused in the handshake. */
  httpsOptions(): ServerOptions {
    const { cert, key, ca } = this.material;
    return { cert, key, ca, requestCert: this.mtls, rejectUnauthorized: this.mtls };
  }

  /** The certificate in use, for the log: its subject and when it expires. */
  get certificate(): { subject: string; validTo: string } {
    const leaf = new X509Certificate(this.material.cert);
    return { subject: leaf.subject.replace(/\n/g, ', '), validTo: leaf.validTo };
  }

  /** An HTTPS server to give each new certificate to. */
  watch(server: TlsServer): void {
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
  }

  grpcCredentials(): grpc.ServerCredentials {
    // grpc-js 1.14 passes this function's first argument on as the identity provider and its
    // second as the CA one (their names say the reverse): one provider plays both roles, and no
    // second one means no client certificate asked for. The mTLS tests hold this in place.
    return grpc.experimental.createCertificateProviderServerCredentials(this.provider, this.mtls ? this.provider : null, this.mtls);
  }

  /**
   * Reads the files again (new paths from a reloaded config, or the same ones rewritten) and
   * gives them to both receivers; the problems, if any, and then nothing changed.
   */
  reload(files: TlsFiles = this.files): string[] {
    const { material, problems } = loadTls(files);
    if (!material || (material.ca !== undefined) !== this.mtls) {
      this.refused = filesDigest(files);
      return material ? ['tls.clientCa: turning client certificates on or off needs a restart'] : problems;
    }
    for (const s of this.servers) s.setSecureContext({ cert: material.cert, key: material.key, ca: material.ca });
    this.provider.set(material);
    this.files = files;
    this.material = material;
    this.inUse = digest([material.cert, material.key, material.ca]);
    return [];
  }
}
