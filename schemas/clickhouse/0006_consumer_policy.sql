-- Policy a gateway enforces per consumer, and the API keys that identify consumers at the edge.
-- consumers.status: 'active' or 'suspended' (a suspended consumer is refused every call).
-- consumers.blocked_apis: API products this consumer is refused, whatever its plan entitles.
-- api_keys: one row per key, versioned like consumers (the newest version wins, revocation is a new
-- version). Only the keyed HMAC of a key is stored (the tap's credential HMAC, so the credential_hmac
-- of an event matches key_hmac); the key itself is shown once, to whoever created it.

ALTER TABLE {{db}}.{{local consumers}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS status LowCardinality(String) DEFAULT 'active' AFTER metadata;
{{alter_distributed consumers ADD COLUMN IF NOT EXISTS status LowCardinality(String) DEFAULT 'active' AFTER metadata}};

ALTER TABLE {{db}}.{{local consumers}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS blocked_apis Array(String) DEFAULT [] AFTER status;
{{alter_distributed consumers ADD COLUMN IF NOT EXISTS blocked_apis Array(String) DEFAULT [] AFTER status}};

CREATE TABLE IF NOT EXISTS {{db}}.{{local api_keys}} {{on_cluster}}
(
    key_id       String,
    consumer_id  String,
    key_hmac     String,
    created_at   DateTime64(3, 'UTC'),
    revoked      Bool DEFAULT false,
    version      UInt64
)
ENGINE = {{engine ReplacingMergeTree(version)}}
ORDER BY key_id;

{{distributed api_keys sharded by cityHash64(key_id)}};
