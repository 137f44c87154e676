// Composes the enricher: registry cache, catalog, Kafka loop and the operations server. The
// ClickHouse client is handed in, so the one-process stack can share one embedded engine.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { loadCatalog, type CatalogMatcher } from '@tollgate/catalog';
import { createKafka, createMetricsRegistry } from '@tollgate/platform';
import { RegistryCache } from '@tollgate/registry';
import { buildEnricherApp } from './app.ts';
import type { EnricherConfig } from './config.ts';
import { warmGeo } from './enrich/geo.ts';
import { createEnricherKafkaClients, EnricherLoop } from './kafka-loop.ts';
import { createEnricherMetrics } from './metrics.ts';
import { WhereCache, type EnrichDeps } from './rows.ts';
import { ClickHouseStoredEvents } from './stored-events.ts';
import { UsageWriter } from './writer.ts';

export interface EnricherService {
  app: FastifyInstance;
  registry: RegistryCache;
  url: string;
  close(): Promise<void>;
}

export async function startEnricher(config: EnricherConfig, client: ClickHouseClient, log: Logger = pino({ name: 'enricher' })): Promise<EnricherService> {
  const promRegistry = createMetricsRegistry('enricher');
  const metrics = createEnricherMetrics(promRegistry);
  const registry = new RegistryCache(client, config.clickhouse.database, log, metrics.registry);
  await registry.refresh();
  registry.startRefreshing(config.registryRefreshMs);
  const catalog: CatalogMatcher = await loadCatalog(config.catalogFile);
  warmGeo();

  const deps: EnrichDeps = {
    trustedProxies: config.trustedProxies,
    ipPrivacy: config.ipPrivacy,
    catalog,
    consumer: (id) => registry.get(id),
    keyOwner: (hmac) => registry.keyOwner(hmac),
    where: new WhereCache(),
  };
  const loopOptions = { topic: config.topic, dlqTopic: config.dlqTopic, groupId: config.groupId, ...config.batch, sessionTimeoutMs: config.sessionTimeoutMs, rebalanceTimeoutMs: config.rebalanceTimeoutMs, retryMs: 500, maxRetryMs: 30_000, replicationFactor: config.kafka.replicationFactor };
  const loop = new EnricherLoop(
    createEnricherKafkaClients(createKafka(config.kafka, {}, log), loopOptions),
    new UsageWriter(client, config.clickhouse.database),
    new ClickHouseStoredEvents(client, config.clickhouse.database),
    () => deps,
    metrics,
    log,
    loopOptions,
  );
  await loop.start();

  const app = buildEnricherApp({
    log,
    metrics: promRegistry,
    registry,
    adminTokens: config.adminTokens,
    readiness: async () => {
      const clickhouse = await client.ping().then((r) => r.success, () => false);
      return {
        ready: clickhouse && loop.isConnected,
        checks: { clickhouse, kafka: loop.isConnected, registry_consumers: String(registry.size) },
      };
    },
  });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(`enricher consuming ${config.topic} as ${config.groupId}; operations on ${url}`);

  return {
    app,
    registry,
    url,
    async close() {
      await app.close();
      await loop.stop();
      registry.stop();
    },
  };
}
