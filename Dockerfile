# syntax=docker/dockerfile:1
# DSP Gateway image: one image for the gateway and every subgraph.
#   gateway (default):  docker run … dsp-gateway
#   a subgraph:         docker run … dsp-gateway npm run start:subgraph -- clients
# docker-compose.yml runs the whole deployment (MongoDB replica set, subgraphs, two gateways,
# load balancer); the README section "Deploying on MongoDB" explains it.

# ── dependencies ─────────────────────────────────────────────────────────────────────────────
# better-sqlite3 (the embedded store) is a native addon: its install script fetches a prebuilt
# binary and falls back to compiling with node-gyp, which needs python3, make and g++. They stay
# in this stage; the runtime image only gets the built node_modules.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Runtime dependencies only (tsx runs the TypeScript sources; no build step is needed).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ── runtime ──────────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim
# production: the development token issuer is not trusted and AUDIT_HMAC_KEY and JWKS_FILE or
# JWKS_URL are required (core/config.ts). docker-compose.yml sets NODE_ENV=development for the demo.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# DATA_DIR holds the keys (gateway signing key, development issuer, audit HMAC key) and, with the
# SQLite store, the database. Owned by the unprivileged user, so a named volume mounted here
# starts writable for it.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
CMD ["npm", "run", "start:gateway"]
