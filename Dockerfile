# weir's image, as compose.yaml builds it: the repository's sources with their dependencies
# installed inside the image, so native modules (lmdb, esbuild's binary) fit this image's
# platform, not the host's. Workers run job artifacts against this installation: a package a job
# imports must be among these dependencies.
#   docker build -t weir .

# The dashboard needs the dev dependencies (vite, preact) to build.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /opt/weir
COPY package.json package-lock.json ./
# --ignore-scripts skips the package's own `prepare` (a full build); `npm rebuild` then runs the
# dependencies' install scripts.
RUN npm ci --ignore-scripts && npm rebuild
COPY web ./web
COPY src ./src
COPY tsconfig.json ./
RUN npm run -s build:web

FROM node:20-bookworm-slim
WORKDIR /opt/weir
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY --from=dashboard /opt/weir/web/dist ./web/dist
# bin/weir.mjs runs the sources (src/ is here) with tsx, a runtime dependency.
ENV WEIR_ARTIFACT_CACHE=/var/cache/weir/artifacts
ENTRYPOINT ["node", "/opt/weir/bin/weir.mjs"]
