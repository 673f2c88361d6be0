// What can be checked of the container and Kubernetes files without a Docker engine or a cluster:
// the Dockerfile parses and lints clean, everything it copies exists, its entry point runs, and the
// manifests agree with the proxy (config valid, probe paths and ports real, data dir on the volume).
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { runCli } from './helpers/cli.js';
import { loadConfig } from '../src/config/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

t.test('Dockerfile', async (t) => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  t.same(
    validate(text).map((p) => p.message),
    [],
    'no lint problems',
  );
  const df = DockerfileParser.parse(text);
  const ins = df.getInstructions().map((i) => ({
    kw: i.getKeyword(),
    args: i.getArguments().map((a) => a.getValue()),
    fromStage: Boolean((i as unknown as { getFromFlag?: () => unknown }).getFromFlag?.()),
  }));
  t.equal(ins.filter((i) => i.kw === 'FROM').length, 2, 'multi-stage');
  t.match(ins.filter((i) => i.kw === 'FROM')[1].args[0], /^node:\d+-/, 'a Node LTS runtime image');
  t.equal(ins.filter((i) => i.kw === 'COPY' && i.fromStage).length, 2, 'the runtime takes node_modules and dist from the build stage');
  for (const c of ins.filter((i) => i.kw === 'COPY' && !i.fromStage)) {
    for (const src of c.args.slice(0, -1)) t.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists`);
  }
  const user = ins.filter((i) => i.kw === 'USER').pop();
  t.ok(user && user.args[0] !== 'root' && user.args[0] !== '0', 'runs as a non-root user');
  const volume = ins.find((i) => i.kw === 'VOLUME')!.args.join(' ');
  t.match(volume, /\/var\/lib\/tracebridge/);
  t.match(text, /TRACEBRIDGE_DATA_DIR=\/var\/lib\/tracebridge/, 'the data dir is the volume');
  t.match(ins.find((i) => i.kw === 'HEALTHCHECK')!.args.join(' '), /\/healthz/);
  t.match(ins.find((i) => i.kw === 'HEALTHCHECK')!.args.join(' '), /TRACEBRIDGE_LISTEN/, 'the health check follows the listen address');
  t.match(ins.filter((i) => i.kw === 'FROM')[1].args[0], new RegExp(`^node:${readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()}-`), 'the Node of .nvmrc');
  // Both receivers on every interface in the container (tracebridge's own default is 127.0.0.1), on the ports exposed.
  const env = Object.fromEntries([...text.matchAll(/(TRACEBRIDGE_[A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  const inImage = loadConfig({}, env);
  t.same(inImage.listen, { host: '0.0.0.0', port: 4318 }, 'OTLP/HTTP on 0.0.0.0');
  t.same(inImage.grpcListen, { host: '0.0.0.0', port: 4317 }, 'OTLP/gRPC on 0.0.0.0');
  t.same(
    ins
      .filter((i) => i.kw === 'EXPOSE')
      .flatMap((i) => i.args)
      .map(Number)
      .sort(),
    [4317, 4318],
    'the ports exposed are the ports listened on',
  );
  t.same(loadConfig({}, {}).listen.host, '127.0.0.1', 'outside the image, loopback');
  const entry = JSON.parse(text.match(/^ENTRYPOINT (.*)$/m)![1]) as string[];
  t.same(entry.slice(0, 2), ['node', 'dist/src/cli.js']);
  const help = await runCli(['help']);
  t.equal(help.code, 0, 'the entry point runs');
  t.match(help.stdout.toString(), /serve/);
});

t.test('Kubernetes manifests', async (t) => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/tracebridge.yaml'), 'utf8')).map((d) => d.toJS());
  const kinds = docs.map((d) => d.kind);
  t.same(kinds.sort(), ['ConfigMap', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'StatefulSet']);
  const sts = docs.find((d) => d.kind === 'StatefulSet');
  t.ok(sts.spec.replicas > 1, 'several replicas');
  t.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'data', 'a volume per replica');
  const c = sts.spec.template.spec.containers[0];
  t.same(c.readinessProbe.httpGet.path, '/readyz');
  t.same(c.livenessProbe.httpGet.path, '/healthz');
  t.equal(c.volumeMounts.find((m: { name: string }) => m.name === 'data').mountPath, c.env.find((e: { name: string }) => e.name === 'TRACEBRIDGE_DATA_DIR').value);
  t.ok(sts.spec.template.spec.terminationGracePeriodSeconds > 10, "longer than tracebridge's own grace");
  // The ConfigMap's config is one tracebridge accepts.
  const cm = docs.find((d) => d.kind === 'ConfigMap');
  const dir = mkdtempSync(join(tmpdir(), 'tb-k8s-'));
  writeFileSync(join(dir, 'tracebridge.yaml'), cm.data['tracebridge.yaml']);
  const config = loadConfig({ config: join(dir, 'tracebridge.yaml') }, { WANDB_API_KEY: 'x', LANGTRACE_API_KEY: 'y' });
  t.equal(config.listen.port, c.ports[0].containerPort, 'listens on the container port');
  t.equal(config.dataDir, '/var/lib/tracebridge');
  t.same(c.args.slice(0, 3), ['serve', '--config', '/etc/tracebridge/tracebridge.yaml']);
  const secret = docs.find((d) => d.kind === 'Secret');
  t.same(Object.keys(secret.stringData).sort(), ['LANGTRACE_API_KEY', 'WANDB_API_KEY'], 'keys come from the Secret');
  t.throws(() => loadConfig({ config: join(dir, 'tracebridge.yaml') }, secret.stringData), /has no key of its own/, 'the Secret as shipped does not start: keys must be filled in');
  t.throws(() => loadConfig({ config: join(dir, 'tracebridge.yaml') }, { WANDB_API_KEY: 'replace-me', LANGTRACE_API_KEY: 'y' }), /a placeholder/);
  t.notMatch(c.image, /:latest$|^[^:]+$/, 'a pinned image, not latest');
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  t.equal(c.image.split(':').pop(), version, "the image tag is the package's version");
  t.same(config.listen.host, '0.0.0.0', 'the manifest sets 0.0.0.0 explicitly');
  t.same(
    c.securityContext,
    { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    'no privilege escalation, read-only root, no capabilities',
  );
  t.ok(sts.spec.template.spec.securityContext.runAsNonRoot, 'non-root');
  t.ok(c.lifecycle.preStop, 'a preStop pause');
  t.equal(sts.spec.template.metadata.annotations['prometheus.io/scrape'], 'true', 'scrape annotations');
  t.equal(config.grpcListen !== 'off' && config.grpcListen.port, c.ports.find((p: { name: string }) => p.name === 'otlp-grpc').containerPort, 'gRPC on its container port');
  const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget');
  t.same(pdb.spec.selector.matchLabels, sts.spec.selector.matchLabels, 'a disruption budget for these pods');
});

t.test('the README agrees with BENCHMARKS.md on worker threads', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const bench = readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith('| `--workers N`'))!;
  const performance = readme.slice(readme.indexOf('## Performance'), readme.indexOf('## ', readme.indexOf('## Performance') + 3));
  const figures = (s: string) => [...s.matchAll(/(\d+(?:–\d+)?)(%| MiB)/g)].map((m) => m[0]);
  t.ok(figures(row).length >= 2, `the configuration table gives figures: ${row}`);
  for (const f of figures(row)) {
    t.ok(bench.includes(f), `${f} is in BENCHMARKS.md`);
    t.ok(performance.includes(f), `${f} is in the Performance section`);
  }
});
