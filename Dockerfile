# Production image of the hub (MongoDB 7 and Redis are external: see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false --no-audit --no-fund
COPY . .
RUN npx vite build --config agent-ui/vite.config.ts

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
RUN npm prune --omit=dev --ignore-scripts=false || true
USER node
EXPOSE 8080
# tsx runs the TypeScript sources directly (no separate emit step to drift from the sources).
CMD ["npx", "tsx", "scripts/start.ts"]
