// A Kafka message as text: what the tap's formats make of a record, what the spool keeps while
// Kafka is unreachable, and what the records of a send read back as (record-set.ts messagesOf).
// The key is the partitioning key (consumer id, else request id, else event id); the value is the
// api-request event's JSON.
export interface TextMessage {
  key: string | null;
  value: string;
}
