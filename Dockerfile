# One image for every program (machine pod, job manager, publisher, broker, cloud, simulators);
# the manifests choose the entry point. Built on a machine with Docker (k3d/up.sh does it):
#   docker build --build-arg PLANT_TWIN_COMMIT=$(git rev-parse --short=12 HEAD) -t plant-twin:0.1.0 .
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# the commit the image was built from, for the HIL reports' traceability header (no git in the image)
ARG PLANT_TWIN_COMMIT=""
ENV PLANT_TWIN_COMMIT=$PLANT_TWIN_COMMIT
WORKDIR /app
COPY --from=build /app /app
USER 10001
