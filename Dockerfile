# syntax=docker/dockerfile:1
# One image per app, from the same file:
#   docker build --build-arg APP=trust -t signal-mesh/trust .
# The topic-creation job only needs the `tools` stage (no app is built):
#   docker build --target tools -t signal-mesh/tools .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Only the npm manifests, so the install layers stay cached until a package.json or the lockfile changes.
FROM base AS manifests
COPY . /src
RUN mkdir -p /manifests \
 && cd /src \
 && cp package.json package-lock.json .npmrc /manifests/ \
 && for pkg in libs/*/*/package.json apps/*/package.json; do \
      if [ -f "$pkg" ]; then mkdir -p "/manifests/$(dirname "$pkg")" && cp "$pkg" "/manifests/$pkg"; fi; \
    done

# Production dependencies only: the devDependency `node` (a second Node binary), nx, jest, tsc stay out.
FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

FROM base AS build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
ARG APP
RUN test -n "$APP" || { echo 'build with --build-arg APP=<app>, e.g. APP=trust' >&2; exit 1; }
# Builds the app and, through Nx's ^build, every lib it depends on (contracts runs its proto generation first).
RUN npx nx run-many -t build -p "@signal-mesh/${APP}" \
 && test -f "apps/${APP}/dist/main.js"
# Collect package.json of every workspace package (npm's workspace symlinks point at them) plus the built dist/.
RUN mkdir -p /out \
 && for dir in libs/*/* apps/*; do \
      if [ -f "$dir/package.json" ]; then mkdir -p "/out/$dir" && cp "$dir/package.json" "/out/$dir/"; fi; \
      if [ -d "$dir/dist" ]; then cp -R "$dir/dist" "/out/$dir/"; fi; \
    done \
 && find /out -name '*.tsbuildinfo' -delete

# Enough to run `node tools/stack/cli.mjs topics`; the app images build on it.
FROM ${NODE_IMAGE} AS tools
WORKDIR /app
ENV NODE_ENV=production \
    BIND_HOST=0.0.0.0 \
    # kafkajs 2.2.4 schedules a negative timeout when idle (harmless; Node clamps it to 1 ms and warns).
    NODE_OPTIONS="--disable-warning=MODULE_TYPELESS_PACKAGE_JSON --disable-warning=TimeoutNegativeWarning"
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY tools/stack ./tools/stack
COPY libs/shared/contracts/package.json ./libs/shared/contracts/package.json
COPY libs/shared/contracts/src/topics.ts ./libs/shared/contracts/src/topics.ts
COPY libs/shared/transport-kafka/package.json ./libs/shared/transport-kafka/package.json
COPY libs/shared/transport-kafka/src/admin.ts ./libs/shared/transport-kafka/src/admin.ts
# Numeric, so Kubernetes' runAsNonRoot can verify it (the image's `node` user is uid 1000).
USER 1000:1000
CMD ["node", "tools/stack/cli.mjs", "topics"]

FROM tools AS runtime
ARG APP
ENV APP=${APP} \
    GRPC_PORT=50051 \
    HTTP_PORT=8080
COPY --from=build /out/ ./
USER 1000:1000
EXPOSE 50051 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.HTTP_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A shell expands $APP; `exec` replaces the shell with node, so node itself receives SIGTERM.
CMD ["/bin/sh", "-c", "exec node \"apps/${APP}/dist/main.js\""]
