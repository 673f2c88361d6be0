# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the full dependency tree.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code, protos and mappings; no compiler.
# Node 20, as .nvmrc, @types/node and CI: the image runs what the tests ran.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TRACEBRIDGE_DATA_DIR=/var/lib/tracebridge
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
COPY proto ./proto
COPY mappings ./mappings
RUN mkdir -p /var/lib/tracebridge && chown node:node /var/lib/tracebridge
USER node
VOLUME ["/var/lib/tracebridge"]
# OTLP/HTTP and OTLP/gRPC. The image writes only to its volume: it runs with a read-only root.
# tracebridge binds 127.0.0.1 by default; in a container both receivers listen on every interface.
EXPOSE 4318 4317
ENV TRACEBRIDGE_LISTEN=0.0.0.0:4318 \
    TRACEBRIDGE_GRPC_LISTEN=0.0.0.0:4317
# The port comes from TRACEBRIDGE_LISTEN, whatever it is set to at run time.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "const l = process.env.TRACEBRIDGE_LISTEN || '0.0.0.0:4318'; fetch('http://127.0.0.1:' + l.slice(l.lastIndexOf(':') + 1) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
