# syntax=docker/dockerfile:1.7
# ----- shared stages: identical in every deploy/docker/*.Dockerfile (test/deploy checks it) -----
# Build context: the repository root (docker build -f deploy/docker/<service>.Dockerfile .).
# <service>.Dockerfile.dockerignore next to this file keeps node_modules, .git and .local out.
ARG NODE_IMAGE=node:20-bookworm-slim

# Every workspace's package.json plus the lockfile, and nothing else, so the dependency layer
# below is rebuilt only when a manifest changes (a new workspace is picked up without edits here).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find . -mindepth 2 -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;

# Production dependencies from the lockfile. --omit=optional drops chDB's 500 MB native engine:
# images always talk to a ClickHouse server (CLICKHOUSE_URL), never to embedded chDB.
# tsx is a root devDependency: instead of installing every dev tool (vitest, eslint, turbo,
# typescript), only tsx is added, at the exact version the lockfile pins, in its own prefix.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && TSX_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")" \
 && npm install --prefix /opt/tsx --no-audit --no-fund --no-package-lock "tsx@${TSX_VERSION}" \
 && ln -s /opt/tsx/node_modules/tsx node_modules/tsx

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /opt/tsx /opt/tsx
COPY --from=deps /app ./
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages ./packages
COPY schemas ./schemas
# ----- end of shared stages -----

# ----- tap: the edge: gateways POST their access logs to /v1/ingest/<format>; events go to Kafka.
FROM runtime AS tap
COPY services/tap ./services/tap
COPY deploy/build ./deploy/build
# One bundled module on plain node: no TypeScript loader thread, ~30 MB less memory (docs/benchmarks.md).
RUN node deploy/build/bundle.mjs services/tap/src/main.ts services/tap/dist/main.mjs
# The spool keeps acknowledged events while Kafka is unreachable: mount a volume here.
ENV TAP_SPOOL_DIR=/var/lib/tollgate/tap-spool
RUN mkdir -p /var/lib/tollgate/tap-spool && chown -R node:node /var/lib/tollgate
VOLUME ["/var/lib/tollgate/tap-spool"]
# A capped heap keeps the tap under 200 MB at full load; starting the old generation at 128 MB spares
# it the frequent full collections a small heap otherwise gets (~100 000 → ~117 000 events/s,
# docs/benchmarks.md). The in-flight budget is sized to fit inside it.
ENV TAP_HOST=0.0.0.0 \
    TAP_PORT=8700 \
    TAP_MAX_INFLIGHT_BYTES=25165824
USER node
EXPOSE 8700
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TAP_PORT||8700)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 (no tsx wrapper process): SIGTERM reaches the service's own graceful shutdown.
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=8", "--initial-old-space-size=128", "services/tap/dist/main.mjs"]
