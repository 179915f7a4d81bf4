# syntax=docker/dockerfile:1

# --- build: install everything, type-check (src, commands, flows, db, scripts, test, web),
# compile
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# flows/ and scripts/ may be empty (git keeps no empty directories): make sure they exist.
# The type check covers everything; the build then only emits (scripts/build.ts --no-check).
RUN mkdir -p flows scripts && npx tsc --noEmit && npx tsc --noEmit -p web \
  && npm run build -- --no-check

# --- runtime: production dependencies and the compiled JavaScript, run by node itself
FROM node:20-bookworm-slim AS runtime
# git: code_fix heal plans fetch, commit and push (HEAL_REPO_PATH, mounted); openssh-client
# and ca-certificates for pushing over ssh or https; tini: PID 1, forwards SIGTERM to node
# and reaps what fixers leave behind.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates git openssh-client tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# dist/ holds the compiled server, db/migrations, package.json (its version) and the
# dashboard Mini App's sources (web/), which esbuild bundles on the first request.
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs the compiled server directly (no npm, no sh, no tsx), under tini; docker stop's
# SIGTERM reaches node, which drains within SHUTDOWN_GRACE_S.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
