-- Rollups of the usage table by minute, hour and day. Each is fed by its own materialized view
-- from api_requests, so a replayed insert (same insert_deduplication_token, with
-- deduplicate_blocks_in_dependent_materialized_views = 1) is dropped here too: the targets set
-- the deduplication window like the usage table does. SummingMergeTree: read with sum() GROUP BY.
CREATE TABLE IF NOT EXISTS {{db}}.{{local usage_minute}} {{on_cluster}}
(
    bucket          DateTime('UTC'),
    api             LowCardinality(String),
    consumer_id     String,
    org_id          LowCardinality(String),
    plan_id         LowCardinality(String),
    country         LowCardinality(String),
    status_class    LowCardinality(String),
    calls           UInt64,
    billable_calls  UInt64,
    request_bytes   UInt64,
    response_bytes  UInt64
)
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, consumer_id, org_id, plan_id, country, status_class)
TTL bucket + INTERVAL {{rollup_minute_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local usage_minute_mv}} {{on_cluster}} TO {{db}}.{{local usage_minute}} AS
SELECT toStartOfMinute(ts) AS bucket, api, consumer_id, org_id, plan_id, country, status_class,
       count() AS calls, countIf(billable) AS billable_calls,
       sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local api_requests}}
GROUP BY bucket, api, consumer_id, org_id, plan_id, country, status_class;

CREATE TABLE IF NOT EXISTS {{db}}.{{local usage_hour}} {{on_cluster}} AS {{db}}.{{local usage_minute}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, consumer_id, org_id, plan_id, country, status_class)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local usage_hour_mv}} {{on_cluster}} TO {{db}}.{{local usage_hour}} AS
SELECT toStartOfHour(ts) AS bucket, api, consumer_id, org_id, plan_id, country, status_class,
       count() AS calls, countIf(billable) AS billable_calls,
       sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local api_requests}}
GROUP BY bucket, api, consumer_id, org_id, plan_id, country, status_class;

CREATE TABLE IF NOT EXISTS {{db}}.{{local usage_day}} {{on_cluster}} AS {{db}}.{{local usage_minute}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, consumer_id, org_id, plan_id, country, status_class)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local usage_day_mv}} {{on_cluster}} TO {{db}}.{{local usage_day}} AS
SELECT toStartOfDay(ts) AS bucket, api, consumer_id, org_id, plan_id, country, status_class,
       count() AS calls, countIf(billable) AS billable_calls,
       sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local api_requests}}
GROUP BY bucket, api, consumer_id, org_id, plan_id, country, status_class;

{{distributed usage_minute sharded by rand()}};
{{distributed usage_hour sharded by rand()}};
{{distributed usage_day sharded by rand()}};

-- Latency (mesh-style) figures live apart from usage and never feed billing: raw per-request
-- latencies with a short retention, and per-minute quantile states by API and upstream service.
CREATE TABLE IF NOT EXISTS {{db}}.{{local request_latency}} {{on_cluster}}
(
    event_id          String,
    ts                DateTime64(3, 'UTC'),
    api               LowCardinality(String),
    upstream_service  LowCardinality(String),
    route             LowCardinality(String),
    status_class      LowCardinality(String),
    total_ms          Nullable(Float32),
    upstream_ms       Nullable(Float32),
    gateway_ms        Nullable(Float32)
)
ENGINE = {{engine MergeTree}}
PARTITION BY toYYYYMMDD(ts)
ORDER BY (api, upstream_service, ts)
TTL toDateTime(ts) + INTERVAL {{latency_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.{{local latency_minute}} {{on_cluster}}
(
    bucket            DateTime('UTC'),
    api               LowCardinality(String),
    upstream_service  LowCardinality(String),
    requests          SimpleAggregateFunction(sum, UInt64),
    total_ms          AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float32),
    upstream_ms       AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float32),
    gateway_ms        AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float32)
)
ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, upstream_service)
TTL bucket + INTERVAL {{latency_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local latency_minute_mv}} {{on_cluster}} TO {{db}}.{{local latency_minute}} AS
SELECT toStartOfMinute(ts) AS bucket, api, upstream_service,
       count() AS requests,
       quantilesTDigestStateIf(0.5, 0.95, 0.99)(assumeNotNull(total_ms), total_ms IS NOT NULL) AS total_ms,
       quantilesTDigestStateIf(0.5, 0.95, 0.99)(assumeNotNull(upstream_ms), upstream_ms IS NOT NULL) AS upstream_ms,
       quantilesTDigestStateIf(0.5, 0.95, 0.99)(assumeNotNull(gateway_ms), gateway_ms IS NOT NULL) AS gateway_ms
FROM {{db}}.{{local request_latency}}
GROUP BY bucket, api, upstream_service;

{{distributed request_latency sharded by rand()}};
{{distributed latency_minute sharded by rand()}};
