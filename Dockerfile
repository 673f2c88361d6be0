# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the full dependency tree.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code, protos and mappings; no compiler.
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    TRACEBRIDGE_DATA_DIR=/var/lib/tracebridge
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY proto ./proto
RUN mkdir -p /var/lib/tracebridge && chown node:node /var/lib/tracebridge
USER node
VOLUME ["/var/lib/tracebridge"]
EXPOSE 4318
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
