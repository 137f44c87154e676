-- The usage table: one row per API request, enriched. Source of truth for billing and analytics.
-- Latency figures are deliberately absent: they live in the latency tables and never feed money.
-- Exactly-once: the enricher inserts each Kafka batch with an insert_deduplication_token derived
-- from its partition and offset range; the deduplication window makes a replayed batch a no-op.
CREATE TABLE IF NOT EXISTS {{db}}.{{local api_requests}} {{on_cluster}}
(
    event_id          String,
    ts                DateTime64(3, 'UTC'),
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3),
    gateway_kind      LowCardinality(String),
    gateway_instance  LowCardinality(String),
    request_id        String,
    api               LowCardinality(String),
    api_version       LowCardinality(String),
    service           LowCardinality(String),
    route             LowCardinality(String),
    billable          Bool,
    method            LowCardinality(String),
    host              LowCardinality(String),
    path              String,
    path_template     LowCardinality(String),
    status            UInt16,
    status_class      LowCardinality(String),
    request_bytes     UInt64,
    response_bytes    UInt64,
    client_ip         String,
    country           LowCardinality(String),
    region            LowCardinality(String),
    city              LowCardinality(String),
    timezone          LowCardinality(String),
    latitude          Float32,
    longitude         Float32,
    eu                Bool,
    user_agent        String,
    consumer_id       String,
    consumer_known    Bool,
    app_id            String,
    subject           String,
    org_id            LowCardinality(String),
    plan_id           LowCardinality(String),
    auth_method       LowCardinality(String),
    kafka_partition   UInt32,
    kafka_offset      UInt64
)
ENGINE = {{engine MergeTree}}
PARTITION BY toYYYYMM(ts)
ORDER BY (consumer_id, api, ts, event_id)
TTL toDateTime(ts) + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

{{distributed api_requests sharded by cityHash64(consumer_id)}};

-- Consumer registry: end users and their organisation, plan and Stripe customer.
-- Billing writes it, the enricher reads it; the highest version of a consumer wins.
CREATE TABLE IF NOT EXISTS {{db}}.{{local consumers}} {{on_cluster}}
(
    consumer_id         String,
    org_id              String,
    name                String,
    email               String,
    plan_id             String,
    stripe_customer_id  String,
    tags                Array(String),
    metadata            Map(String, String),
    deleted             Bool DEFAULT false,
    version             UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY consumer_id;

{{distributed consumers sharded by cityHash64(consumer_id)}};
