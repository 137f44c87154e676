-- The billing ledger. Stripe forgets idempotency keys after 24 hours; this ledger does not, and
-- it is what keeps a second run of a period from creating a second invoice or invoice item.
-- Every table is versioned (ReplacingMergeTree): a state change is a new row, read with FINAL.

-- One row per billing run (dry or real), updated when it finishes.
CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_runs}} {{on_cluster}}
(
    run_id        String,
    period        String,
    dry_run       Bool,
    trigger       LowCardinality(String),
    started_at    DateTime64(3, 'UTC'),
    finished_at   Nullable(DateTime64(3, 'UTC')),
    status        LowCardinality(String),
    summary       String,
    version       UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY run_id;

-- Per customer and period: where its invoice stands. state is one of
-- creating (invoice create requested), open (invoice exists, items being added), finalized,
-- failed (retried by the next run), nothing_to_bill. stripe_status follows webhooks.
CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_invoices}} {{on_cluster}}
(
    period              String,
    consumer_id         String,
    run_id              String,
    plan_id             LowCardinality(String),
    state               LowCardinality(String),
    stripe_customer_id  String,
    stripe_invoice_id   String,
    currency            LowCardinality(String),
    amount_minor        Int64,
    lost_revenue_minor  Int64,
    usage_requests      UInt64,
    reason              String,
    stripe_status       LowCardinality(String),
    updated_at          DateTime64(3, 'UTC'),
    version             UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY (period, consumer_id);

-- Per invoice line: the usage snapshot it was priced from, its amount and its Stripe invoice item.
CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_lines}} {{on_cluster}}
(
    period                  String,
    consumer_id             String,
    line_key                String,
    run_id                  String,
    meter_id                String,
    api                     String,
    description             String,
    units                   UInt64,
    included_units          UInt64,
    billable_units          UInt64,
    amount_minor            Int64,
    currency                LowCardinality(String),
    stripe_invoice_item_id  String,
    version                 UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY (period, consumer_id, line_key);

-- Stripe webhook events as received (verified), one row per event id: replays are harmless.
CREATE TABLE IF NOT EXISTS {{db}}.{{local billing_webhook_events}} {{on_cluster}}
(
    event_id           String,
    type               LowCardinality(String),
    stripe_invoice_id  String,
    period             String,
    consumer_id        String,
    received_at        DateTime64(3, 'UTC'),
    version            UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY event_id;

{{distributed billing_runs sharded by cityHash64(run_id)}};
{{distributed billing_invoices sharded by cityHash64(consumer_id)}};
{{distributed billing_lines sharded by cityHash64(consumer_id)}};
{{distributed billing_webhook_events sharded by cityHash64(event_id)}};
