# syntax=docker/dockerfile:1
# DSP Gateway image: one image for the gateway and every subgraph, running compiled JavaScript
# on the current Node LTS line (.nvmrc), node itself as PID 1's child (compose: init: true), so
# SIGTERM reaches the process that drains.
#   gateway (default):  docker run … dsp-gateway
#   a subgraph:         docker run … dsp-gateway node dist/subgraphs/main.js clients
# docker-compose.yml runs the whole deployment (MongoDB replica set, subgraphs, two gateways,
# load balancer); the README section "Deploying on MongoDB" explains it.
ARG NODE_IMAGE=node:26-bookworm-slim

# ── build: every dependency, then tsc into dist/ ────────────────────────────────────────────
# better-sqlite3 (the embedded store) is a native addon: its install script fetches a prebuilt
# binary and falls back to compiling with node-gyp, which needs python3, make and g++. They stay
# in the build stages; the runtime image gets only dist/ and the production node_modules.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core core
COPY authorisation authorisation
COPY limits limits
COPY monitoring monitoring
COPY gateway gateway
COPY subgraphs subgraphs
COPY registry registry
COPY audit audit
COPY store store
COPY scripts scripts
COPY schema schema
COPY console console
COPY docs/operations docs/operations
RUN npm run build

# ── production dependencies only (no TypeScript loader, no composition, no test or bench tools) ──────────────
FROM build AS deps
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

# ── runtime ──────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE}
# production: the development token issuer is not trusted and AUDIT_HMAC_KEY (or _FILE),
# SUBGRAPH_MAC_KEY, METRICS_BEARER and JWKS_FILE or JWKS_URL are required (core/config.ts).
# docker-compose.yml sets NODE_ENV=development for the demo.
# Memory (core/runtime-flags.ts, README "Memory"): V8's old space bounded, so the heap's slack is
# collected instead of kept (every cache on the request path is bounded in bytes), and gc exposed,
# so that once idle cache entries have been purged (CACHE_IDLE_S) one full collection gives their
# heap back: the gateway stays under 400 MiB RSS through 100,000 distinct documents and falls back
# when the traffic stops (npm run bench:soak).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data \
    NODE_OPTIONS="--max-old-space-size=256 --expose-gc"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# DATA_DIR holds the keys not given as secrets and, with the SQLite store, the database. Owned by
# the unprivileged user, so a named volume mounted here starts writable for it.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
# Exec form: node is the process the container's stop signal reaches (not npm, not a shell).
CMD ["node", "dist/gateway/main.js"]
