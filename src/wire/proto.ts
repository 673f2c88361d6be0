// Loads the OTLP .proto definitions in proto/ once, with protobufjs reflection.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The package root: the folder holding proto/ (src/ under tsx, dist/src/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'proto', 'opentelemetry'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('tracebridge: cannot find its proto/ folder');
    dir = up;
  }
}

function load(): protobuf.Root {
  const protoDir = join(packageRoot(), 'proto');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    // Well-known google/protobuf types come bundled with protobufjs.
    if (target.startsWith('google/protobuf/')) return target;
    return join(protoDir, target);
  };
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: false });
  root.resolveAll();
  return root;
}

const root = load();

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const RpcStatus = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** google.rpc.Status with a RetryInfo detail: how OTLP/gRPC tells a client when to come back. */
export function encodeRetryStatus(code: number, message: string, retryAfterSeconds: number): Uint8Array {
  const info = RetryInfo.encode({ retryDelay: { seconds: retryAfterSeconds, nanos: 0 } }).finish();
  // protobufjs's bundled google.protobuf.Any keeps the proto's own field name, type_url.
  return RpcStatus.encode({ code, message, details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: info }] }).finish();
}
