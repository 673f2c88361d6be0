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
  root.loadSync(
    ['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'google/rpc/status.proto'],
    { keepCase: false },
  );
  root.resolveAll();
  return root;
}

const root = load();

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const RpcStatus = root.lookupType('google.rpc.Status');
