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

# ----- dashboard: the built-in analytics page and query API (prices revenue with @tollgate/pricing, in packages/).
FROM runtime AS dashboard
COPY services/dashboards ./services/dashboards
ENV DASHBOARD_HOST=0.0.0.0 \
    DASHBOARD_PORT=8703
USER node
EXPOSE 8703
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DASHBOARD_PORT||8703)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 (no tsx wrapper process): SIGTERM reaches the service's own graceful shutdown.
CMD ["node", "--import", "tsx", "services/dashboards/src/main.ts"]
