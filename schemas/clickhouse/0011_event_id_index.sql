-- A skip index on event_id, for the enricher's check that a batch's events are not stored yet
-- (services/enricher/src/stored-events.ts). The same event can reach Kafka twice as two messages
-- (a tap's file source replaying lines after a SIGKILL, a gateway retrying a request whose answer
-- was lost); the enricher asks, once per batch, which of the batch's event ids api_requests already
-- holds between the batch's earliest and latest timestamps. The table is ordered by
-- (consumer_id, api, ts, event_id), so without the index that query reads every granule of the
-- time range; the bloom filter lets it skip the granules that hold none of the ids.
-- Parts written before this migration have no index and are read whole by that query (still
-- correct); they gain it as merges rewrite them, and MATERIALIZE INDEX is left to the operator.
ALTER TABLE {{db}}.{{local api_requests}} {{on_cluster}}
  ADD INDEX IF NOT EXISTS event_id_bloom event_id TYPE bloom_filter(0.01) GRANULARITY 1;
