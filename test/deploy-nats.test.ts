// The Kubernetes manifests for the NATS mode, checked without a cluster: tracebridge as a
// Deployment with no volumes (an autoscaler and a disruption budget on it), its config one the
// proxy accepts and pointing at the NATS client Service, and a 3-node JetStream StatefulSet whose
// server config the real nats-server accepts.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config/load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// A manifest as plain data: what Kubernetes reads, checked field by field below.
type Doc = ReturnType<typeof JSON.parse>;
const docsOf = (file: string): Doc[] => parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes', file), 'utf8')).map((d) => d.toJS());
const tracebridge = docsOf('tracebridge-nats.yaml');
const nats = docsOf('nats.yaml');
const kind = (docs: Doc[], k: string): Doc[] => docs.filter((d) => d.kind === k);

t.test('tracebridge with NATS: a Deployment with no volume for a queue, scaled and protected', async (t) => {
  t.same(tracebridge.map((d) => d.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service']);
  const [dep] = kind(tracebridge, 'Deployment');
  const pod = dep.spec.template.spec;
  t.same(
    pod.volumes.map((v: { name: string }) => v.name),
    ['config'],
    'only the config is mounted',
  );
  const c = pod.containers[0];
  t.notOk(
    c.env?.some((e: { name: string }) => e.name === 'TRACEBRIDGE_DATA_DIR'),
    'no data dir',
  );
  t.same(c.readinessProbe.httpGet.path, '/readyz');
  t.same(c.livenessProbe.httpGet.path, '/healthz');
  t.ok(c.securityContext.readOnlyRootFilesystem, 'a read-only root: nothing is written');
  const [hpa] = kind(tracebridge, 'HorizontalPodAutoscaler');
  t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name }, 'the autoscaler scales this Deployment');
  t.ok(hpa.spec.minReplicas >= 2, 'at least two replicas');
  const [pdb] = kind(tracebridge, 'PodDisruptionBudget');
  t.same(pdb.spec.selector.matchLabels, dep.spec.selector.matchLabels);
  const dir = mkdtempSync(join(tmpdir(), 'tb-k8s-nats-'));
  writeFileSync(join(dir, 'tracebridge.yaml'), kind(tracebridge, 'ConfigMap')[0].data['tracebridge.yaml']);
  const config = loadConfig({ config: join(dir, 'tracebridge.yaml') }, { WANDB_API_KEY: 'x', LANGTRACE_API_KEY: 'y' });
  const [client] = kind(nats, 'Service').filter((s) => !s.spec.clusterIP);
  t.same(config.nats?.servers, [`nats://${client.metadata.name}:${client.spec.ports[0].port}`], "the NATS client Service's name and port");
  t.equal(config.nats?.replicas, kind(nats, 'StatefulSet')[0].spec.replicas, 'a copy of each request on every node');
  t.equal(config.listen.port, c.ports[0].containerPort);
});

t.test('NATS: a 3-node JetStream cluster that nats-server accepts', async (t) => {
  const [sts] = kind(nats, 'StatefulSet');
  t.equal(sts.spec.replicas, 3);
  t.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'data', "a volume per node for JetStream's store");
  const conf: string = kind(nats, 'ConfigMap')[0].data['nats.conf'];
  const routes = [...conf.matchAll(/nats:\/\/(nats-\d)\.(\S+):6222/g)];
  t.same(
    routes.map((m) => m[1]),
    ['nats-0', 'nats-1', 'nats-2'],
    'a route to every node',
  );
  t.ok(
    routes.every((m) => m[2] === sts.spec.serviceName),
    'through the headless Service',
  );
  t.match(conf, /store_dir: \/data/);
  t.equal(sts.spec.template.spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'data').mountPath, '/data');
  const [pdb] = kind(nats, 'PodDisruptionBudget');
  t.equal(pdb.spec.maxUnavailable, 1, 'a quorum stays up');
  const dir = mkdtempSync(join(tmpdir(), 'tb-nats-conf-'));
  writeFileSync(join(dir, 'nats.conf'), conf.replace('/data', join(dir, 'data')).replace('/tmp/nats.pid', join(dir, 'nats.pid')));
  // -t: parse and check the configuration, then exit.
  const out = execFileSync('/usr/sbin/nats-server', ['-t', '-c', join(dir, 'nats.conf')], { env: { ...process.env, POD_NAME: 'nats-0' }, encoding: 'utf8', stdio: 'pipe' });
  t.pass(`nats-server accepts it${out ? `: ${out.trim()}` : ''}`);
});
