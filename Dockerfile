# syntax=docker/dockerfile:1
# The app image: every process of the pipeline (`enrich worker`, `enrich agent <name>`,
# `enrich review-api`, `enrich cost-api`) from one image, run through tsx (a runtime dependency,
# see bin/enrich), so there is no build step. Built and pushed by infra/src/components/image.ts.

# Pinned to a Node 20 patch release that satisfies package.json "engines" (>=20.19 <21).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- dependencies: production packages only, exactly as locked ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script at runtime (esbuild's platform binary
# comes as an optional dependency), and the Pulumi SDK's plugin download must not run in here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ARG NODE_IMAGE
ARG VERSION=0.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="enrichment-platform" \
      org.opencontainers.image.description="MCP agent-based OCR document enrichment: worker, agents, Review API, Cost API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
ENV NODE_ENV=production \
    npm_package_version=${VERSION}
WORKDIR /app
# Everything is owned by root and read-only to the app user: the process cannot change its code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY app/src ./app/src
# The `node` user of the base image, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
# Ports: 9464 worker ops, 5100 agent, 5001 Review API, 5002 Cost API (infra/src/conventions.ts).
EXPOSE 9464 5100 5001 5002
# No HEALTHCHECK: Kubernetes probes and the dev stack's Docker healthchecks call /health.
ENTRYPOINT ["/app/bin/enrich"]
CMD ["--help"]
