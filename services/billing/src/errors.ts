// Billing's own error codes, each defined once (the shared ones — unauthorized, forbidden,
// not_found, not_configured, bad_request — are platform's). Routes throw them; platform's error
// handler answers `{ error, message }` with the status given here.
import { defineError } from '@tollgate/platform';

export const UnknownConsumer = defineError('unknown_consumer', 404, (consumer: string) => `no consumer "${consumer}" with a known plan`);
export const InvalidConsumer = defineError('invalid_consumer', 400, (problem: string) => problem);
export const InvalidApiKey = defineError('invalid_api_key', 400, (problem: string) => problem);
export const InvalidPeriod = defineError('invalid_period', 400, (problem: string) => problem);
export const InvalidCustomer = defineError('invalid_customer', 400, (problem: string) => problem);
export const BadSignature = defineError('bad_signature', 400, (problem: string) => problem);
/** 409: a real run of the current or a future period without force (open-period.ts). */
export const PeriodNotClosed = defineError('period_not_closed', 409, (problem: string) => problem);
