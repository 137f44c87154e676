-- Tollgate's gateway decision for each call (api-request v1 `decision`, from /v1/authorize's
-- x-tollgate-decision as the gateway logged it; '' when the event carried none). A call whose
-- decision is set and is not 'allow' was refused by policy: the enricher stores it with
-- billable = false, so invoices (usage-query.ts reads `billable`) and quotas (usage_hour's
-- billable_calls) never count it. What this migration adds on top:
--
-- 1. The column.
-- 2. The billing rollups (0004), which feed revenue and lost revenue in the dashboards and count
--    every call whatever `billable` says, stop counting refused calls: a refusal is neither revenue
--    nor revenue lost. The view is dropped and created again with the filter. Not MODIFY QUERY,
--    though it is atomic for the inserts around it: on the embedded engine, a view altered that way
--    counted a block twice when an insert killed halfway was replayed under its deduplication token
--    (services/enricher/test/integration/fault.test.ts: billing rollups 1-2 % over, about one run in
--    four), while every view created with CREATE deduplicated it. Inserts that run between the DROP
--    and the CREATE miss the billing rollups: apply this migration with the enrichers stopped (every
--    Tollgate service migrates before it consumes, so a restart does it).
--    Rows already in the rollups need nothing: before the column existed no call carried a decision.
-- 3. Rollups of the refused calls per consumer, API and decision by minute, hour and day, for the
--    "refused by policy" analytics: refusals are few next to all traffic, so these stay small where
--    the raw table (ordered by consumer first) would be scanned over the whole range. They hold
--    every refusal ever stored, with no rollup_coverage row needed (unlike 0004's): a row can carry
--    a decision only once the column exists, and an enricher that writes it runs only after its
--    own migration, which creates these views before it returns.
--
-- The refused rule is schemas/src/api-request.ts isRefusedByPolicy (REFUSED_BY_POLICY_SQL).

ALTER TABLE {{db}}.{{local api_requests}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS decision LowCardinality(String) DEFAULT '' AFTER billable;
{{alter_distributed api_requests ADD COLUMN IF NOT EXISTS decision LowCardinality(String) DEFAULT '' AFTER billable}};

DROP VIEW IF EXISTS {{db}}.{{local billing_minute_mv}} {{on_cluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local billing_minute_mv}} {{on_cluster}} TO {{db}}.{{local billing_minute}} AS
SELECT toStartOfMinute(ts) AS bucket, consumer_id, plan_id, api, upper(method) AS method, status_class,
       count() AS calls, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {{db}}.{{local api_requests}}
WHERE decision IN ('', 'allow')
GROUP BY bucket, consumer_id, plan_id, api, method, status_class;

CREATE TABLE IF NOT EXISTS {{db}}.{{local refused_minute}} {{on_cluster}}
(
    bucket          DateTime('UTC'),
    consumer_id     String,
    api             LowCardinality(String),
    decision        LowCardinality(String),
    org_id          LowCardinality(String),
    plan_id         LowCardinality(String),
    calls           UInt64
)
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, consumer_id, api, decision, org_id, plan_id)
TTL bucket + INTERVAL {{rollup_minute_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local refused_minute_mv}} {{on_cluster}} TO {{db}}.{{local refused_minute}} AS
SELECT toStartOfMinute(ts) AS bucket, consumer_id, api, decision, org_id, plan_id, count() AS calls
FROM {{db}}.{{local api_requests}}
WHERE decision NOT IN ('', 'allow')
GROUP BY bucket, consumer_id, api, decision, org_id, plan_id;

CREATE TABLE IF NOT EXISTS {{db}}.{{local refused_hour}} {{on_cluster}} AS {{db}}.{{local refused_minute}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, consumer_id, api, decision, org_id, plan_id)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local refused_hour_mv}} {{on_cluster}} TO {{db}}.{{local refused_hour}} AS
SELECT toStartOfHour(bucket) AS bucket, consumer_id, api, decision, org_id, plan_id, sum(calls) AS calls
FROM {{db}}.{{local refused_minute}}
GROUP BY bucket, consumer_id, api, decision, org_id, plan_id;

CREATE TABLE IF NOT EXISTS {{db}}.{{local refused_day}} {{on_cluster}} AS {{db}}.{{local refused_minute}}
ENGINE = {{engine SummingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, consumer_id, api, decision, org_id, plan_id)
TTL bucket + INTERVAL {{usage_retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local refused_day_mv}} {{on_cluster}} TO {{db}}.{{local refused_day}} AS
SELECT toStartOfDay(bucket) AS bucket, consumer_id, api, decision, org_id, plan_id, sum(calls) AS calls
FROM {{db}}.{{local refused_hour}}
GROUP BY bucket, consumer_id, api, decision, org_id, plan_id;

{{distributed refused_minute sharded by rand()}};
{{distributed refused_hour sharded by rand()}};
{{distributed refused_day sharded by rand()}};
