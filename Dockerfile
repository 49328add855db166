# One image for every program (machine pod, job manager, publisher, broker, cloud, simulators);
# the manifests choose the entry point. Built on a machine with Docker: docker build -t plant-twin:dev .
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
USER 10001
