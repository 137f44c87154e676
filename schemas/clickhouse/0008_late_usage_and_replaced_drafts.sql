-- Late usage billed on a later invoice (services/billing/src/late-usage.ts). An adjustment is an
-- invoice line of the period whose invoice carries it (billing_lines.period), keyed
-- late:<adjusted period>:<sequence>; adjusts_period names the earlier period it corrects ('' on
-- ordinary lines). On such a line, units holds the adjusted period's events when it was priced,
-- included_units those already invoiced before it, billable_units the late ones it bills.
ALTER TABLE {{db}}.{{local billing_lines}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS adjusts_period String DEFAULT '' AFTER line_key;
{{alter_distributed billing_lines ADD COLUMN IF NOT EXISTS adjusts_period String DEFAULT '' AFTER line_key}};

-- A draft deleted in Stripe before it was finalized is replaced by a new invoice; its generation
-- (0 for the first) is part of the invoice's idempotency key, so the replacement is a new object.
ALTER TABLE {{db}}.{{local billing_invoices}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS invoice_generation UInt32 DEFAULT 0 AFTER stripe_invoice_id;
{{alter_distributed billing_invoices ADD COLUMN IF NOT EXISTS invoice_generation UInt32 DEFAULT 0 AFTER stripe_invoice_id}};

-- Late usage is found by the time rows arrived: a minmax index on ingested_at lets the check skip
-- every part written before a period was billed (parts hold rows of a few insert times until merged).
ALTER TABLE {{db}}.{{local api_requests}} {{on_cluster}}
  ADD INDEX IF NOT EXISTS ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1;
