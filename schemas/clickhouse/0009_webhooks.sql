-- Billing's outgoing webhooks: a durable outbox (services/billing/src/webhooks). An event is
-- emitted by one insert into webhook_events, naming the endpoints it goes to; its id is derived
-- from its dedup key, so emitting the same crossing again (another refresh, a restart, a second
-- instance) writes the same row, which ReplacingMergeTree keeps once. Delivery state is a row per
-- (event, endpoint) written after each attempt; a target without a row is pending since the event.
-- Every table is versioned: a change is a new row, read with FINAL.

-- Endpoints managed through /v1/admin/webhooks. The secret signs deliveries (HMAC-SHA256), so it
-- is kept as is: it is shown once at creation and never listed again.
CREATE TABLE IF NOT EXISTS {{db}}.{{local webhook_endpoints}} {{on_cluster}}
(
    endpoint_id   String,
    url           String,
    events        Array(LowCardinality(String)),
    description   String,
    secret        String,
    created_at    DateTime64(3, 'UTC'),
    deleted       Bool,
    version       UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY endpoint_id;

-- One row per event: body is the exact JSON delivered (and signed).
CREATE TABLE IF NOT EXISTS {{db}}.{{local webhook_events}} {{on_cluster}}
(
    event_id      String,
    type          LowCardinality(String),
    dedup_key     String,
    created_at    DateTime64(3, 'UTC'),
    body          String,
    endpoint_ids  Array(String),
    version       UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY event_id;

-- Per (event, endpoint): pending (retried at next_attempt_at), delivered, failed (gave up after
-- the retry window) or cancelled (endpoint deleted).
CREATE TABLE IF NOT EXISTS {{db}}.{{local webhook_deliveries}} {{on_cluster}}
(
    event_id         String,
    endpoint_id      String,
    state            LowCardinality(String),
    attempts         UInt32,
    next_attempt_at  DateTime64(3, 'UTC'),
    last_status      UInt16,
    last_error       String,
    updated_at       DateTime64(3, 'UTC'),
    version          UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY (event_id, endpoint_id);

{{distributed webhook_endpoints sharded by cityHash64(endpoint_id)}};
{{distributed webhook_events sharded by cityHash64(event_id)}};
{{distributed webhook_deliveries sharded by cityHash64(event_id)}};
