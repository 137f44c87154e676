// kafkajs client construction from KAFKA_BROKERS. The local broker script exports the same variable.
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { EnvReader, type Env } from './config.ts';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
}

export const LOCAL_KAFKA_BROKER = `127.0.0.1:${process.env.TOLLGATE_KAFKA_PORT ?? '9092'}`;

export function kafkaSettingsFromEnv(env: Env, clientId: string, reader = new EnvReader(env)): KafkaSettings {
  const brokers = reader.list('KAFKA_BROKERS', [LOCAL_KAFKA_BROKER]);
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) reader.problem(`KAFKA_BROKERS entry "${broker}" must be host:port`);
  }
  return { brokers, clientId };
}

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 100, retries: 8 },
    ...overrides,
  });
}
