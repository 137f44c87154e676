// How the gateway routes (/v1/quota, /v1/authorize) know a gateway called. Fail closed: with no
// gateway token configured nothing passes, unless BILLING_GATEWAY_AUTH=off says on purpose that
// the network is trusted (service.ts warns at start-up).
export interface GatewayAuth {
  /** False only with BILLING_GATEWAY_AUTH=off. */
  enabled: boolean;
  /** BILLING_GATEWAY_TOKENS. */
  tokens: readonly string[];
}
