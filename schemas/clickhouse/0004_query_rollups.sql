-- Rollups shaped by the dashboard questions that 0002's rollups answer slowly over a month:
-- latency by hour and day (30 days of minute t-digests is ~43 000 buckets per API), cities by day
-- (0002's rollups stop at the country) and usage with the HTTP method by minute, hour, day and
-- month (plans that meter by method would otherwise price revenue from raw rows).
--
-- Coarser grains are fed from finer rollups, not from the raw table, so the enricher's insert pays
-- for one GROUP BY per family. Deduplication follows 0002: the targets set a deduplication window,
-- and a replayed insert (same insert_deduplication_token) is dropped at every level.
--
-- A rollup created on a table that already holds rows does not hold them: rollup_coverage records,
-- per rollup, the instant from which it holds every row (epoch when the source was still empty),
-- and readers use a rollup only for buckets from then on.

CREATE TABLE IF NOT EXISTS {{db}}.{{local rollup_coverage}} {{on_cluster}}
(
    rollup_table  LowCardinality(String),
    since         SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
)
ENGINE = {{engine AggregatingMergeTree}}
ORDER BY rollup_table;

{{distributed rollup_coverage sharded by rand()}};

CREATE TABLE IF NOT EXISTS {{db}}.{{local latency_hour}} {{on_cluster}} AS {{db}}.{{local latency_minute}}
ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, upstream_service)
TTL bucket + INTERVAL {{latency_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local latency_hour_mv}} {{on_cluster}} TO {{db}}.{{local latency_hour}} AS
SELECT toStartOfHour(bucket) AS bucket, api, upstream_service,
       sum(requests) AS requests,
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(total_ms) AS total_ms,
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(upstream_ms) AS upstream_ms,
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(gateway_ms) AS gateway_ms
FROM {{db}}.{{local latency_minute}}
GROUP BY bucket, api, upstream_service;

CREATE TABLE IF NOT EXISTS {{db}}.{{local latency_day}} {{on_cluster}} AS {{db}}.{{local latency_minute}}
ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, upstream_service)
TTL bucket + INTERVAL {{latency_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local latency_day_mv}} {{on_cluster}} TO {{db}}.{{local latency_day}} AS
SELECT toStartOfDay(bucket) AS bucket, api, upstream_service,
       sum(requests) AS requests,
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(total_ms) AS total_ms,
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(upstream_ms) AS upstream_ms,
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(gateway_ms) AS gateway_ms
FROM {{db}}.{{local latency_hour}}
GROUP BY bucket, api, upstream_service;

-- Calls per consumer and day, for the rankings of consumers and organisations: usage_day also
-- splits by API, country and status, which over a month can leave it nearly as long as the raw
-- table. Fed from usage_day.
CREATE TABLE IF NOT EXISTS {{db}}.{{local consumer_day}} {{on_cluster}}
(
    bucket          DateTime('UTC'),
    consumer_id     String,
    org_id          LowCardinality(String),
    plan_id         LowCardinality(String),
    calls           UInt64,
    billable_calls  UInt64,
    client_errors   UInt64,
    server_errors   UInt64
)
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, consumer_id, org_id, plan_id)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local consumer_day_mv}} {{on_cluster}} TO {{db}}.{{local consumer_day}} AS
SELECT d.bucket AS bucket, d.consumer_id AS consumer_id, d.org_id AS org_id, d.plan_id AS plan_id,
       sum(d.calls) AS calls, sum(d.billable_calls) AS billable_calls,
       sumIf(d.calls, d.status_class = '4xx') AS client_errors, sumIf(d.calls, d.status_class = '5xx') AS server_errors
FROM {{db}}.{{local usage_day}} AS d
GROUP BY bucket, consumer_id, org_id, plan_id;

-- Calls per city and day; coordinates as sums so that any range averages them exactly as the raw
-- table would.
CREATE TABLE IF NOT EXISTS {{db}}.{{local geo_day}} {{on_cluster}}
(
    bucket          DateTime('UTC'),
    api             LowCardinality(String),
    country         LowCardinality(String),
    region          LowCardinality(String),
    city            LowCardinality(String),
    calls           UInt64,
    latitude_sum    Float64,
    longitude_sum   Float64
)
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api, country, region, city)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local geo_day_mv}} {{on_cluster}} TO {{db}}.{{local geo_day}} AS
SELECT toStartOfDay(ts) AS bucket, api, country, region, city,
       count() AS calls, sum(toFloat64(latitude)) AS latitude_sum, sum(toFloat64(longitude)) AS longitude_sum
FROM {{db}}.{{local api_requests}}
WHERE city != ''
GROUP BY bucket, api, country, region, city;

-- What revenue needs and nothing more: usage per consumer, plan, API, method and status class, by
-- minute (fed from the raw table, kept as long as the minute usage rollup), hour, day and month.
CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_minute}} {{on_cluster}}
(
    bucket          DateTime('UTC'),
    consumer_id     String,
    plan_id         LowCardinality(String),
    api             LowCardinality(String),
    method          LowCardinality(String),
    status_class    LowCardinality(String),
    calls           UInt64,
    request_bytes   UInt64,
    response_bytes  UInt64
)
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, plan_id, consumer_id, api, method, status_class)
TTL bucket + INTERVAL {{rollup_minute_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local billing_minute_mv}} {{on_cluster}} TO {{db}}.{{local billing_minute}} AS
SELECT toStartOfMinute(ts) AS bucket, consumer_id, plan_id, api, upper(method) AS method, status_class,
       count() AS calls, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local api_requests}}
GROUP BY bucket, consumer_id, plan_id, api, method, status_class;

CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_hour}} {{on_cluster}} AS {{db}}.{{local billing_minute}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, plan_id, consumer_id, api, method, status_class)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local billing_hour_mv}} {{on_cluster}} TO {{db}}.{{local billing_hour}} AS
SELECT toStartOfHour(bucket) AS bucket, consumer_id, plan_id, api, method, status_class,
       sum(calls) AS calls, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local billing_minute}}
GROUP BY bucket, consumer_id, plan_id, api, method, status_class;

CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_day}} {{on_cluster}} AS {{db}}.{{local billing_hour}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, plan_id, consumer_id, api, method, status_class)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local billing_day_mv}} {{on_cluster}} TO {{db}}.{{local billing_day}} AS
SELECT toStartOfDay(bucket) AS bucket, consumer_id, plan_id, api, method, status_class,
       sum(calls) AS calls, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local billing_hour}}
GROUP BY bucket, consumer_id, plan_id, api, method, status_class;

-- Revenue is priced per calendar month: a range that covers most of a month reads the month's
-- total and subtracts the rest, instead of reading every day.
CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_month}} {{on_cluster}} AS {{db}}.{{local billing_hour}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYear(bucket)
ORDER BY (bucket, plan_id, consumer_id, api, method, status_class)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local billing_month_mv}} {{on_cluster}} TO {{db}}.{{local billing_month}} AS
SELECT toStartOfMonth(bucket) AS bucket, consumer_id, plan_id, api, method, status_class,
       sum(calls) AS calls, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local billing_day}}
GROUP BY bucket, consumer_id, plan_id, api, method, status_class;

{{distributed latency_hour sharded by rand()}};
{{distributed latency_day sharded by rand()}};
{{distributed consumer_day sharded by rand()}};
{{distributed geo_day sharded by rand()}};
{{distributed billing_minute sharded by rand()}};
{{distributed billing_hour sharded by rand()}};
{{distributed billing_day sharded by rand()}};
{{distributed billing_month sharded by rand()}};

-- Last, once the views feed the rollups: from now on they hold everything (from the epoch when
-- nothing was written yet). Run again after a failure, min() keeps the first, earliest answer.
INSERT INTO {{db}}.rollup_coverage (rollup_table, since)
SELECT rollup_table, if((SELECT count() FROM {{db}}.request_latency) = 0, toDateTime64(0, 3, 'UTC'), now64(3, 'UTC'))
FROM (SELECT arrayJoin(['latency_hour', 'latency_day']) AS rollup_table);

INSERT INTO {{db}}.rollup_coverage (rollup_table, since)
SELECT rollup_table, if((SELECT count() FROM {{db}}.api_requests) = 0, toDateTime64(0, 3, 'UTC'), now64(3, 'UTC'))
FROM (SELECT arrayJoin(['consumer_day', 'geo_day', 'billing_minute', 'billing_hour', 'billing_day', 'billing_month']) AS rollup_table);
