-- Columns that let usage be attributed after the fact.
-- credential_hmac: the keyed HMAC of the credential a call presented (the tap's; the credential itself
-- never leaves the tap). Traffic identified only by an API key carries no consumer id; once the key is
-- mapped to a consumer in the registry, this column is how such calls are attributed and billed.
-- tap_token: the name of the tap token that accepted the event. Any tap token can send usage for any
-- consumer; the name makes forged or misrouted traffic traceable to the gateway that sent it.

ALTER TABLE {{db}}.{{local api_requests}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS credential_hmac String DEFAULT '' CODEC(ZSTD(1)) AFTER auth_method;
{{alter_distributed api_requests ADD COLUMN IF NOT EXISTS credential_hmac String DEFAULT '' AFTER auth_method}};

ALTER TABLE {{db}}.{{local api_requests}} {{on_cluster}}
  ADD COLUMN IF NOT EXISTS tap_token LowCardinality(String) DEFAULT '' AFTER gateway_instance;
{{alter_distributed api_requests ADD COLUMN IF NOT EXISTS tap_token LowCardinality(String) DEFAULT '' AFTER gateway_instance}};
