// Turning canonical events into Kafka messages, and the pieces every input shares.
import { createHmac, randomUUID } from 'node:crypto';
import type { ApiRequestEvent } from '@tollgate/schemas';
import type { MapContext } from './formats/types.ts';
import type { SpoolMessage } from './sink/spool.ts';

/**
 * Key = consumer id, so one consumer's events stay ordered in one partition; anonymous traffic
 * is spread by request id (or event id) instead of piling onto one partition. `json`: the event's
 * own source text when it went through verbatim (see MapResult), which spares re-serialising it.
 */
export function toMessage(event: ApiRequestEvent, json: string = JSON.stringify(event)): SpoolMessage {
  return { key: event.consumer?.id ?? event.request_id ?? event.event_id, value: json };
}

export function credentialHmac(key: string): (secret: string) => string {
  return (secret) => createHmac('sha256', key).update(secret).digest('hex');
}

export function mapContext(options: {
  hmacKey: string;
  secretQueryParams: readonly string[];
  gatewayInstance?: string;
}): Omit<MapContext, 'receivedAt'> {
  return {
    newId: randomUUID,
    hmac: credentialHmac(options.hmacKey),
    secretQueryParams: new Set(options.secretQueryParams),
    gatewayInstance: options.gatewayInstance,
  };
}
