# syntax=docker/dockerfile:1
# Node 22 LTS, in both stages. Not 24: better-sqlite3 12's Statement destructor trips Node 24's
# RemoveEnvironmentCleanupHook assertion and the process aborts (SIGABRT; WiseLibs/better-sqlite3
# #1515). Not better-sqlite3 13 either: it crashes on the Node 20 development machines.
# CI (.ci/run) runs the tests under the machine's Node 20 and under the major named in these FROM
# lines (keep the two stages on the same line).
FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
# No ATLAS_CONFIG here: as outside Docker, the config file is optional. The bot reads
# /app/atlas.config.yml (the default path, from the working directory) when one is mounted there,
# and runs on defaults and environment variables alone when none is; an ATLAS_CONFIG set on the
# image would make a missing file an error.
ENV NODE_ENV=production \
    ATLAS_DATA_DIR=/data \
    PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml atlas.config.example.yml ./
# The service's data directory is mounted at /data; the bot reads it and keeps chatops.db there.
# Owned by the unprivileged user, so that a fresh named volume (which takes the ownership of the
# image's directory) is writable by the bot.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
EXPOSE 3000
USER node
# The start period covers start-up (migrations of chatops.db, the first reads): failing checks in it
# do not count, so a slow start is not marked unhealthy and restarted by an orchestrator.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
