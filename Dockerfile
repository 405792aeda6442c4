# nest-mcp-oauth container image.
#
#   docker build -t ghcr.io/example/nest-mcp-oauth:0.1.0 .
#   docker run --rm -p 3000:3000 --env-file .env -v nest-mcp-oauth-data:/app/.data ghcr.io/example/nest-mcp-oauth:0.1.0
#
# Two stages: "build" installs every dependency and compiles TypeScript into dist/; "runtime"
# installs production dependencies only, copies dist/ and runs as the unprivileged `node` user
# (uid/gid 1000, shipped by the official Node images). Pin NODE_IMAGE to a digest
# (node:24-bookworm-slim@sha256:...) in CI for reproducible builds. `npm run test:image` builds this
# file and runs the image the way deploy/ does.
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
# The compiler runs on the image's own Node 24, named explicitly. Not `npm run build`: npm puts
# node_modules/.bin first on PATH, and there the pinned `node` dev dependency (for developers'
# machines) shadows the image's node; with --ignore-scripts its preinstall never fetched a binary,
# so that entry is missing or broken depending on the npm release.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# HOST: every interface, so a published port reaches the server (.env.example leaves HOST unset, so
# an --env-file made from it keeps this). NODE_OPTIONS: V8's old space gets 75% of the memory the
# container may use (its cgroup limit, or the machine's memory without one), leaving the rest to
# buffers, native memory and code, so the process works under GC pressure instead of being OOM-killed;
# Node 24 reads the limit itself. The young generation gets 8 MiB semi-spaces (24 MiB in all): for a
# 512 MiB container V8 would pick 1 MiB ones, and collecting that often cost the server about 45% more
# CPU per tool call under load. A Deployment that sets NODE_OPTIONS must keep both flags.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NODE_OPTIONS="--max-old-space-size-percentage=75 --max-semi-space-size=8"

WORKDIR /app

# Production dependencies only. Files stay owned by root, so the `node` user can read but not
# modify the application (and Kubernetes mounts the root filesystem read-only on top of that).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

COPY --from=build /app/dist ./dist

# The one directory the `node` user may write: the embedded development server keeps its state there
# (EMBEDDED_AUTH_STATE_FILE, .data/embedded-auth.json by default). A named volume on it
# (-v nest-mcp-oauth-data:/app/.data) starts with this ownership and keeps sign-ins across containers;
# under --read-only mount a volume or a tmpfs (uid=1000) there. Clerk and oidc modes never write.
RUN mkdir /app/.data && chown node:node /app/.data && chmod 700 /app/.data

USER node

EXPOSE 3000

# Liveness only (the process answers HTTP); /readyz is for the orchestrator's readiness checks. It
# probes the container's own network address, not loopback: a server that listens on 127.0.0.1 only
# (HOST=127.0.0.1) cannot be reached through a published port, so it must not look healthy.
# Uses node itself: slim images have neither curl nor wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const a=Object.values(require('os').networkInterfaces()).flat().find(i=>i.family==='IPv4'&&!i.internal);const r=require('http').get({host:a?a.address:'127.0.0.1',port:process.env.PORT||3000,path:'/healthz',timeout:4000},s=>process.exit(s.statusCode===200?0:1));r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',()=>process.exit(1))"]

# The app drains in-flight requests on SIGTERM (src/main.ts, SHUTDOWN_GRACE_SECONDS). Run node directly (exec
# form, PID 1) so the signal reaches it; no npm wrapper, which would swallow it.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
