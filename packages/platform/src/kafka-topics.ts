// The one way Tollgate creates its Kafka topics: only the missing ones, at the replication the
// operator chose (KAFKA_REPLICATION_FACTOR) or, unset, the cluster's own default.replication.factor,
// so a topic made by a service on a 3-broker cluster is as durable as the cluster's defaults say.
import type { Admin } from 'kafkajs';

export interface TopicToCreate {
  topic: string;
  partitions: number;
}

/** kafkajs's (and the protocol's) "use the broker's default.replication.factor". */
const BROKER_DEFAULT_REPLICATION = -1;

/**
 * Creates the topics that do not exist yet and waits for their leaders. Two processes racing to
 * create the same topic is fine: the loser's TOPIC_ALREADY_EXISTS is not an error to kafkajs.
 */
export async function createMissingTopics(admin: Admin, topics: readonly TopicToCreate[], replicationFactor: number | undefined): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: replicationFactor ?? BROKER_DEFAULT_REPLICATION })),
    waitForLeaders: true,
  });
}
