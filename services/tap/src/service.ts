// Composes the tap: spool, Kafka transport, sink and HTTP server. Used by main.ts and by the
// one-process stack.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { Gauge } from 'prom-client';
import { createKafka, createMetricsRegistry, resolveCredentialHmacKey } from '@tollgate/platform';
import { EventSink, KafkaTransport, Spool } from '@tollgate/tap-delivery';
import type { TapConfig } from './config.ts';
import { buildTapApp } from './ingest/app.ts';
import { mapContext } from './ingest/map-context.ts';
import { createTapMetrics } from './metrics.ts';
import { TailSource } from './sources/tail/tail-source.ts';

export interface TapService {
  app: FastifyInstance;
  sink: EventSink;
  /** The file source, when TAP_TAIL_FILES names files. */
  tail: TailSource | undefined;
  url: string;
  /**
   * Stops taking requests and sends or spools what they handed over. With `deadline` (the
   * shutdown's), also drains the spool to Kafka until it is empty or the deadline passes: what is
   * left stays on disk, replayed at the next start — nothing acknowledged is lost.
   */
  close(deadline?: AbortSignal): Promise<void>;
}

export async function startTap(config: TapConfig, log: Logger = pino({ name: 'tap' })): Promise<TapService> {
  const registry = createMetricsRegistry('tap');
  const metrics = createTapMetrics(registry);
  const spool = await Spool.open(config.spool);
  const transport = new KafkaTransport(createKafka(config.kafka, {}, log), config.kafka, {
    topic: config.topic,
    partitions: config.topicPartitions,
    compression: config.compression,
    maxBatchBytes: config.maxBatchBytes,
  });
  new Gauge({
    name: 'tollgate_tap_kafka_producer_resets',
    help: 'Times the Kafka producer was replaced because the broker lost its idempotence state (a batch written before may be written twice)',
    registers: [registry],
    collect() {
      this.set(transport.producerResets);
    },
  });
  try {
    await transport.connect();
  } catch (error) {
    // The tap still starts: events go to the spool until the broker answers.
    log.warn({ err: error }, `Kafka (${config.kafka.brokers.join(',')}) is unreachable at start-up; spooling`);
  }
  const sink = new EventSink(
    transport,
    spool,
    { maxBatchMessages: config.maxBatchMessages, lingerMs: config.lingerMs, retryMs: 250, maxRetryMs: 5_000 },
    metrics,
    log,
  );
  const context = mapContext({
    hmacKey: await resolveCredentialHmacKey(config.hmacKey, join(config.spool.dir, 'hmac.key')),
    secretQueryParams: config.secretQueryParams,
    gatewayInstance: config.gatewayInstance,
    maxFutureSkewMs: config.maxFutureSkewMs,
  });
  const tail = config.tail.files.length === 0
    ? undefined
    : new TailSource({ settings: config.tail, spoolDir: config.spool.dir, durable: config.spool.fsync === 'always', sink, mapContext: context, tapMetrics: metrics, registry, log });
  const app = buildTapApp({
    tokens: config.tokens,
    bodyLimitBytes: config.bodyLimitBytes,
    maxInflightBytes: config.maxInflightBytes,
    maxRecords: config.maxRecords,
    retryAfterSeconds: config.retryAfterSeconds,
    sink,
    mapContext: context,
    metrics,
    registry,
    kafkaConnected: () => transport.isConnected,
    ...(tail ? { moreChecks: () => tail.checks() } : {}),
    logger: log.child({ component: 'http' }),
  });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(`tap listening on ${url}, topic ${config.topic}`);
  if (tail) {
    tail.start();
    log.info(`tap following ${config.tail.files.map((f) => `${f.path} (${f.format})`).join(', ')}`);
  }

  return {
    app,
    sink,
    tail,
    url,
    async close(deadline?: AbortSignal) {
      deadline?.addEventListener(
        'abort',
        () => {
          if (sink.spoolBytes === 0) return;
          log.warn(
            { spoolBytes: sink.spoolBytes, spoolDir: config.spool.dir },
            `shutdown deadline: ${sink.spoolBytes} spooled bytes not yet in Kafka stay in ${config.spool.dir} and are sent at the next start (nothing acknowledged is lost)`,
          );
        },
        { once: true },
      );
      // Stop reading files (their batches in flight are acknowledged, their checkpoints written)
      // and taking requests (in-flight ones finish), flush what they handed over, then drain the
      // spool while the deadline allows.
      await tail?.close();
      await app.close();
      await sink.close(deadline);
      await transport.close().catch(() => undefined);
      await spool.close();
    },
  };
}
