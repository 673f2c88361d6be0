// A Weave project that is not ENTITY/PROJECT is refused before the answer (400, or gRPC
// INVALID_ARGUMENT), never answered 200 and then lost in failed/, nor a 500 in the drop-in case.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fakeWeave } from '../helpers/upstreams.js';
import { startProxy, drained, FAST_RETRY } from '../helpers/proxy.js';
import { encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { RpcStatus } from '../../src/wire/proto.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)).toString();
const basic = (key: string) => 'Basic ' + Buffer.from('api:' + key).toString('base64');
const BAD = ['noslash', 'team/', '/project', 'a/b/c'];
const post = (url: string, headers: Record<string, string>, body: string | Uint8Array = curl, type = 'application/json') =>
  fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
const files = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

t.test('static key: a bad project_id is a 400 naming it; nothing reaches failed/ or the upstream', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  for (const project of BAD) {
    const res = await post(tb.url, { project_id: project });
    t.equal(res.status, 400, `${project}: 400`);
    const body = (await res.json()) as { code: number; message: string };
    t.equal(body.code, 3, 'google.rpc.Status INVALID_ARGUMENT');
    t.match(body.message, /ENTITY\/PROJECT/, 'the reason names the expected form');
  }
  const proto = await post(tb.url, { project_id: 'noslash' }, encodeOtlpProto(decodeOtlpJson(curl)), 'application/x-protobuf');
  t.equal(proto.status, 400, 'protobuf too');
  t.match(RpcStatus.decode(new Uint8Array(await proto.arrayBuffer())), { code: 3, message: /ENTITY\/PROJECT/ }, 'as a protobuf google.rpc.Status');
  t.equal((await post(tb.url, { project_id: 'team/app' })).status, 200, 'a good project still goes through');
  await weave.waitForSpans(1);
  await drained(tb);
  t.same(files(join(tb.dataDir, 'failed')), [], 'nothing in failed/');
  t.equal(weave.hits.length, 1, 'only the good request reached Weave');
});

t.test('drop-in (caller key, first request delivered before the answer): 400, not 500', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  const res = await post(tb.url, { authorization: basic('W'), project_id: 'noslash' });
  t.equal(res.status, 400);
  t.match(((await res.json()) as { message: string }).message, /ENTITY\/PROJECT/);
  t.equal(weave.hits.length, 0, 'nothing sent');
});

t.test('gRPC: INVALID_ARGUMENT with the reason', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({ grpcListen: '127.0.0.1:0', upstreams: [{ name: 'weave', type: 'weave', url: weave.url, auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  const client = new grpc.Client(`127.0.0.1:${tb.proxy.grpcPort}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('project_id', 'noslash');
  const err = await new Promise<grpc.ServiceError | null>((resolve) =>
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(encodeOtlpProto(decodeOtlpJson(curl))),
      metadata,
      (e) => resolve(e),
    ),
  );
  client.close();
  t.equal(err?.code, grpc.status.INVALID_ARGUMENT);
  t.match(err?.details, /ENTITY\/PROJECT/);
  await drained(tb);
  t.same(files(join(tb.dataDir, 'failed')), [], 'nothing in failed/');
});
