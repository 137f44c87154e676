// kafkajs client construction from KAFKA_BROKERS. The local broker script exports the same variable.
import kafkajs, { CompressionTypes, Kafka, logLevel, type KafkaConfig, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { EnvReader, type Env } from './config.ts';
import { snappyCodec } from './kafka-snappy.ts';

// kafkajs decodes snappy only with a registered codec; the tap produces snappy by default, so every
// client Tollgate creates must be able to read it. kafkajs is CommonJS: Node's ESM loader does not
// see CompressionCodecs as a named export.
kafkajs.CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Replication factor of the topics a service creates (KAFKA_REPLICATION_FACTOR); undefined: the broker's default. */
  replicationFactor?: number | undefined;
}

export const LOCAL_KAFKA_BROKER = `127.0.0.1:${process.env.TOLLGATE_KAFKA_PORT ?? '9092'}`;

export function kafkaSettingsFromEnv(env: Env, clientId: string, reader = new EnvReader(env)): KafkaSettings {
  const brokers = reader.list('KAFKA_BROKERS', [LOCAL_KAFKA_BROKER]);
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) reader.problem(`KAFKA_BROKERS entry "${broker}" must be host:port`);
  }
  const replication = reader.string('KAFKA_REPLICATION_FACTOR');
  const replicationFactor = replication === undefined ? undefined : reader.int('KAFKA_REPLICATION_FACTOR', 1, { min: 1, max: 32_767 });
  return { brokers, clientId, replicationFactor };
}

/**
 * kafkajs logs into the service's own structured log. Its connection errors are expected while a
 * broker is away (the services spool or pause and retry), so they arrive as warnings, not errors.
 */
/** kafkajs notices that describe a choice made on purpose here, not a problem. */
const EXPECTED_NOTICES = [/switched default partitioner/, /Limiting retries for the idempotent producer/];

function kafkaLogs(log: Logger): logCreator {
  return () => ({ level, log: entry }) => {
    const { message, ...fields } = entry;
    const line = { component: 'kafkajs', ...fields };
    if (EXPECTED_NOTICES.some((notice) => notice.test(message))) log.debug(line, message);
    else if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(line, message);
    else if (level === logLevel.INFO) log.info(line, message);
    else log.debug(line, message);
  };
}

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}, log?: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.WARN,
    ...(log ? { logCreator: kafkaLogs(log) } : {}),
    retry: { initialRetryTime: 100, retries: 8 },
    ...overrides,
  });
}
