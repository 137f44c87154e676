// What the delivery tests share: the test broker's settings, as the tap reads them from the environment.
import { createKafka, kafkaSettingsFromEnv, type KafkaSettings } from '@tollgate/platform/kafka';

export function testKafkaSettings(): KafkaSettings {
  return kafkaSettingsFromEnv(process.env, 'tap-delivery-test');
}

export function testKafka() {
  return createKafka(testKafkaSettings());
}
