-- What a billing run reads, kept as it arrives, so that a run (and an invoice preview) never reads
-- every raw row of a month (issue 18: 10 M events took 3.4–6.5 s; the target is ≤ 1 s).
--
-- invoice_usage_month: the billable usage of consumers (billable routes, a consumer id), per month
-- and everything pricing tells apart (stamped plan, API, method as sent, status class), with the
-- latest call (exact to the millisecond, plan-assignment.ts rule 3). It sums every row, duplicates
-- included.
-- event_copies: how many rows each (month, consumer, event id) has, by a 32-bit hash of the event
-- id. Billing counts an event id once per consumer (usage-query.ts): only the few (consumer, hash)
-- pairs with more than one row are looked up in the raw table, exactly, and their extra copies are
-- taken off the month's sums. A hash collision only makes a pair a candidate; the lookup decides.
--
-- Fed straight from api_requests; a replayed insert (same insert_deduplication_token) is dropped
-- here too (deduplication windows as in 0002). The months outlive their last day's raw rows.
CREATE TABLE IF NOT EXISTS {{db}}.{{local invoice_usage_month}} {{on_cluster}}
(
    month           Date,
    consumer_id     String,
    plan_id         LowCardinality(String),
    api             LowCardinality(String),
    method          LowCardinality(String),
    status_class    LowCardinality(String),
    requests        SimpleAggregateFunction(sum, UInt64),
    request_bytes   SimpleAggregateFunction(sum, UInt64),
    response_bytes  SimpleAggregateFunction(sum, UInt64),
    last_call       SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYear(month)
ORDER BY (month, consumer_id, plan_id, api, method, status_class)
TTL month + INTERVAL 1 MONTH + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local invoice_usage_month_mv}} {{on_cluster}} TO {{db}}.{{local invoice_usage_month}} AS
SELECT toStartOfMonth(ts) AS month, consumer_id, plan_id, api, method, status_class,
       count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes, max(ts) AS last_call
FROM {{db}}.{{local api_requests}}
WHERE billable AND consumer_id != ''
GROUP BY month, consumer_id, plan_id, api, method, status_class;

CREATE TABLE IF NOT EXISTS {{db}}.{{local event_copies}} {{on_cluster}}
(
    month        Date,
    consumer_id  String,
    event_hash   UInt32,
    copies       SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(month)
ORDER BY (month, consumer_id, event_hash)
TTL month + INTERVAL 1 MONTH + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local event_copies_mv}} {{on_cluster}} TO {{db}}.{{local event_copies}} AS
SELECT toStartOfMonth(ts) AS month, consumer_id, toUInt32(cityHash64(event_id) % 4294967296) AS event_hash, count() AS copies
FROM {{db}}.{{local api_requests}}
WHERE billable AND consumer_id != ''
GROUP BY month, consumer_id, event_hash;

-- Sharded like api_requests, so a consumer's rows and copies live on one shard.
{{distributed invoice_usage_month sharded by cityHash64(consumer_id)}};
{{distributed event_copies sharded by cityHash64(consumer_id)}};

-- Last, once the views feed the tables (0004's rule): they hold every row from then on, from the
-- epoch when nothing was written yet. A month is read from them only if they cover all of it.
INSERT INTO {{db}}.rollup_coverage (rollup_table, since)
SELECT rollup_table, if((SELECT count() FROM {{db}}.api_requests) = 0, toDateTime64(0, 3, 'UTC'), now64(3, 'UTC'))
FROM (SELECT arrayJoin(['invoice_usage_month', 'event_copies']) AS rollup_table);
