// Each command's usage: printed by `--help`.

const DEADLETTER_COMMON = `  --config FILE       the proxy's config file (for its upstreams and data dir)
  --data-dir DIR      the proxy's data dir (default ./tracebridge-data; TRACEBRIDGE_DATA_DIR)
  --nats URL[,URL...] the dead letters every replica keeps in NATS JetStream instead
                      (TRACEBRIDGE_NATS_URL; the config's nats settings otherwise)
  -h, --help          this help
`;

export const HELP: Record<string, string> = {
  serve: `usage: tracebridge serve [options]

Run the proxy: OTLP/HTTP, OTLP/gRPC and Langtrace's /api/trace in, every configured backend out.
With no upstream, batches go to a local sink under the data dir.

options:
  --config FILE                  YAML config file (TRACEBRIDGE_CONFIG)
  --listen HOST:PORT             where to listen for OTLP/HTTP (default 0.0.0.0:4318; TRACEBRIDGE_LISTEN)
  --grpc-listen HOST:PORT|off    where to listen for OTLP/gRPC (default 0.0.0.0:4317; TRACEBRIDGE_GRPC_LISTEN)
  --weave URL                    a W&B Weave upstream (TRACEBRIDGE_WEAVE_URL)
  --weave-project ENTITY/PROJECT the Weave project when a request names none
  --langtrace URL                a Langtrace upstream (TRACEBRIDGE_LANGTRACE_URL)
  --otlp URL                     any other OTLP/HTTP backend (TRACEBRIDGE_OTLP_URL)
  --data-dir DIR                 queues, dead letters, sink (default ./tracebridge-data)
  --ack queue|upstream           answer once journalled (default) or once the backends answered
  --workers N                    worker threads for decoding and translation (default 0)
  --log-level LEVEL              fatal, error, warn, info (default), debug, trace, silent
  -h, --help                     this help
`,
  convert: `usage: tracebridge convert [options] [input] [output]

Convert trace files between wire formats (stdin and stdout by default), rewriting LLM
attributes for a backend's convention with --target. The input is a file, a folder (all its
files, into one output) or - for stdin; the output a file or - for stdout.

options:
  --from otlp-proto|otlp-json|langtrace     input format (guessed when omitted)
  --to otlp-proto|otlp-json|langtrace|langtrace-otlp-json   output format (required)
  --target weave|langtrace|otel-genai|openinference         rewrite LLM attributes for this target
  --mappings FILE                           overrides for the key tables (JSON)
  -h, --help                                this help
`,
  inspect: `usage: tracebridge inspect [options] [FILE_OR_DIR...]

For each span: the convention found, and what Weave and Langtrace would show (span type,
model, messages with their images, tool calls and results, tokens, vendor). Reads stdin when
no file is given; folders are read whole.

options:
  --from otlp-proto|otlp-json|langtrace   input format (guessed when omitted)
  --json                                  the same as JSON
  --redact PATTERNS                       what each backend would show with these patterns
                                          redacted (comma-separated: email, card, phone,
                                          api-key, or regular expressions), as an
                                          upstream's redact.patterns would
  -h, --help                              this help
`,
  replay: `usage: tracebridge replay --to weave|langtrace|otlp URL [options] FILE_OR_DIR...

Send exported traces (OTLP protobuf or JSON, JSON lines, Langtrace arrays; gzip or not) to a
backend, translated for it. Resumable: interrupted, the same command sends exactly the spans
the backend has not acknowledged yet, whatever --batch is.

options:
  --to weave|langtrace|otlp URL   the backend (required)
  --key KEY                       its key (default WANDB_API_KEY or LANGTRACE_API_KEY; required for weave and langtrace)
  --weave-project ENTITY/PROJECT  the Weave project (TRACEBRIDGE_WEAVE_PROJECT)
  --rate SPANS/S                  at most this many spans per second
  --batch SPANS                   spans per request (default 500)
  --max-retry-seconds S           stop retrying a batch after this long (default 300)
  --skip-rejected                 do not resend spans the backend refused in an earlier run
  --data-dir DIR                  where the checkpoint is kept (default ./tracebridge-data; TRACEBRIDGE_DATA_DIR)
  --checkpoint FILE               the checkpoint itself (default DATA_DIR/replay-checkpoint.json)
  --from FORMAT                   input format (guessed when omitted)
  -h, --help                      this help

A refused key (HTTP 401 or 403) stops the run at once.
exit codes: 0 all sent, 1 some rejected or not sent, 2 usage error, 130 interrupted
`,
  deadletter: `usage: tracebridge deadletter list|replay|purge [options]

Batches an upstream refused for good (or that ran out of retries or room), with the reason.
Run \`tracebridge deadletter ACTION --help\` for each action's options.

  list      show them, with the upstream's reply
  replay    resend them after you fix the cause
  purge     delete them
`,
  'deadletter list': `usage: tracebridge deadletter list [options]

Show the dead letters: upstream, id, spans, when, and why (the upstream's reply).

options:
  --upstream NAME     only this upstream's
  --id ID             only this batch
${DEADLETTER_COMMON}`,
  'deadletter replay': `usage: tracebridge deadletter replay [options]

Resend dead letters (with the upstream's configured key, if it has one) after you fix the
cause, several per request up to --batch spans. Delivered ones are removed; refused ones kept.

options:
  --upstream NAME     only this upstream's
  --id ID             only this batch
  --batch SPANS       at most this many spans per request (default 500)
${DEADLETTER_COMMON}`,
  'deadletter purge': `usage: tracebridge deadletter purge [options]

Delete dead letters for good. Without --upstream or --id it deletes every upstream's and asks
first (--yes does not ask; with no terminal to ask on, it refuses without --yes).

options:
  --upstream NAME     only this upstream's
  --id ID             only this batch
  --yes               do not ask
${DEADLETTER_COMMON}`,
};

export const USAGE = `usage: tracebridge <command> [options]

commands:
  serve        run the proxy
  convert      convert trace files between wire formats and conventions
  inspect      show what Weave and Langtrace would display for each span
  replay       send exported traces to a backend (migration)
  deadletter   list, resend or purge batches a backend refused

Run \`tracebridge <command> --help\` for a command's options; \`tracebridge --version\` for the version.
`;
