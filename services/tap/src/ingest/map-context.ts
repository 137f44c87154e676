// The context every input format maps with (formats/types.ts MapContext), built once from the
// tap's configuration: ids, the credential HMAC and the query parameters that count as secrets.
import { randomUUID } from 'node:crypto';
import { credentialHmac } from '@tollgate/platform';
import type { MapContext } from './formats/types.ts';

export function mapContext(options: {
  hmacKey: string;
  secretQueryParams: readonly string[];
  gatewayInstance?: string;
  maxFutureSkewMs?: number;
}): Omit<MapContext, 'receivedAt'> {
  return {
    newId: randomUUID,
    hmac: credentialHmac(options.hmacKey),
    secretQueryParams: new Set(options.secretQueryParams),
    gatewayInstance: options.gatewayInstance,
    maxFutureSkewMs: options.maxFutureSkewMs,
  };
}
