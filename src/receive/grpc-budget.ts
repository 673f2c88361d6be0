// OTLP/gRPC held to the same memory budget as HTTP: grpc-js reads a message whole before the
// handler sees it, so a call takes room for the largest message it may send (grpcMaxMessageBytes)
// when its metadata arrives, before a byte of the message is read; without room it is answered
// RESOURCE_EXHAUSTED with a RetryInfo at once. The room is held (standing for the message as
// received) until the call is answered or cancelled. 48 concurrent 15 MiB exports took 1.6 GB before.
import * as grpc from '@grpc/grpc-js';
import { encodeRetryStatus } from '../wire/proto.js';

interface Budget {
  take(n: number): boolean;
  give(n: number): void;
}

export function budgetInterceptor(budget: Budget, reserve: number, retryAfterS: number): grpc.ServerInterceptor {
  return (_method, call) => {
    let held = 0;
    const release = () => {
      budget.give(held);
      held = 0;
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            if (!budget.take(reserve)) {
              const message = 'too many request bodies in flight; retry later';
              const md = new grpc.Metadata();
              md.set('grpc-status-details-bin', Buffer.from(encodeRetryStatus(grpc.status.RESOURCE_EXHAUSTED, message, retryAfterS)));
              return call.sendStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: message, metadata: md });
            }
            held = reserve;
            mdNext(metadata);
          },
          onCancel: release,
        }),
      sendStatus: (status, statusNext) => {
        release();
        statusNext(status);
      },
    });
  };
}
