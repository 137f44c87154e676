// The one way Tollgate creates its Kafka topics: only the missing ones, at the replication the
// operator chose (KAFKA_REPLICATION_FACTOR) or, unset, the cluster's own default.replication.factor,
// so a topic made by a service on a 3-broker cluster is as durable as the cluster's defaults say.
import type { Admin } from 'kafkajs';

export interface TopicToCreate {
  topic: string;
  partitions: number;
  /** Topic-level settings, e.g. cleanup.policy=compact. */
  config?: Record<string, string>;
}

/** kafkajs's (and the protocol's) "use the broker's default.replication.factor". */
const BROKER_DEFAULT_REPLICATION = -1;

/** How long a new topic may take to have a leader for every partition in the metadata. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader. Two
 * processes racing to create the same topic is fine: the loser's TOPIC_ALREADY_EXISTS is not an
 * error to kafkajs.
 */
export async function createMissingTopics(admin: Admin, topics: readonly TopicToCreate[], replicationFactor: number | undefined): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    topics: missing.map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions,
      replicationFactor: replicationFactor ?? BROKER_DEFAULT_REPLICATION,
      configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  await leadersElected(admin, missing);
}

/**
 * kafkajs's own waitForLeaders gives up when the broker it asks does not know the topic yet
 * (UNKNOWN_TOPIC_OR_PARTITION), which a broker of a cluster says for a moment after another one
 * created it: retriable errors are waited out here.
 */
async function leadersElected(admin: Admin, topics: readonly TopicToCreate[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const ready = topics.every((t) => {
        const partitions = metadata.topics.find((m) => m.name === t.topic)?.partitions ?? [];
        return partitions.length >= t.partitions && partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no leader for every partition of ${topics.map((t) => t.topic).join(', ')} within ${LEADERS_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
