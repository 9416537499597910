# One image for every service of the distributed deployment; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsx infra/docker/bundle.ts \
 && npm prune --omit=dev \
 && rm -rf node_modules/chdb node_modules/@chdb

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    MIGRATIONS_DIR=/app/migrations
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/packages/clickhouse/migrations ./migrations
COPY --from=build /app/services/monitor/public ./services/monitor/public
USER node
CMD ["node", "dist/ingestor.js"]
