# nest-mcp-oauth container image.
#
#   docker build -t ghcr.io/example/nest-mcp-oauth:0.1.0 .
#   docker run --rm -p 3000:3000 --env-file .env -e HOST=0.0.0.0 ghcr.io/example/nest-mcp-oauth:0.1.0
#
# Two stages: "build" installs every dependency and compiles TypeScript into dist/; "runtime"
# installs production dependencies only, copies dist/ and runs as the unprivileged `node` user
# (uid/gid 1000, shipped by the official Node images). Pin NODE_IMAGE to a digest
# (node:24-bookworm-slim@sha256:...) in CI for reproducible builds.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Manifests first, so the dependency layer is rebuilt only when they change.
# --ignore-scripts: nothing the build needs has an install script (the only one in the lock
# file, @parcel/watcher, belongs to jest), and a slim image has no compiler for node-gyp anyway.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000

WORKDIR /app

# Production dependencies only. Files stay owned by root, so the `node` user can read but not
# modify the application (and Kubernetes mounts the root filesystem read-only on top of that).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

COPY --from=build /app/dist ./dist

USER node

EXPOSE 3000

# Liveness only (the process answers HTTP); /readyz is for the orchestrator's readiness checks.
# Uses node itself: slim images have neither curl nor wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const r=require('http').get('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{timeout:4000},s=>process.exit(s.statusCode===200?0:1));r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',()=>process.exit(1))"]

# The app drains in-flight requests on SIGTERM (src/main.ts, SHUTDOWN_GRACE_SECONDS). Run node directly (exec
# form, PID 1) so the signal reaches it; no npm wrapper, which would swallow it.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
