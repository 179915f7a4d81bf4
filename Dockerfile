# syntax=docker/dockerfile:1

# --- build: install everything and type-check (src, commands, flows, db, scripts, test, web)
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# flows/ and scripts/ may be empty (git keeps no empty directories): make sure they exist.
RUN mkdir -p flows scripts && npx tsc --noEmit && npx tsc --noEmit -p web

# --- runtime: production dependencies only (tsx is one: `npm start` = tsx src/main.ts)
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/tsconfig.json ./
COPY --from=build /app/src ./src
COPY --from=build /app/commands ./commands
COPY --from=build /app/flows ./flows
COPY --from=build /app/db ./db
COPY --from=build /app/scripts ./scripts
# The dashboard Mini App's sources, bundled with esbuild on first request.
COPY --from=build /app/web ./web
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["npm", "start"]
