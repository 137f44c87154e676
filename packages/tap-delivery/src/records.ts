// Kafka records without the transport (`@tollgate/tap-delivery/records`): what a record writer
// needs — the plugin's, writing exchanges as events — without loading the Kafka client. Loading
// @platformatic/kafka beside the writer made bench/plugin-records.ts a third slower per event,
// which would have measured the client's presence rather than the writer.
export { messagesOf, recordSetOf, RecordSetBuilder, type PartitionRecords, type RecordSet } from './kafka/record-set.ts';
export { murmur2, partitionOf } from './kafka/key-partitioner.ts';
