// The string formats billing's route schemas use, beyond JSON Schema's own.
import type { InputFormats } from '@tollgate/platform';
import { parsePeriod } from '@tollgate/pricing';
import { endpointUrlProblem } from '../webhooks/endpoints.ts';

export const BILLING_FORMATS: InputFormats = {
  period: {
    validate: (value) => {
      try {
        parsePeriod(value);
        return true;
      } catch {
        return false;
      }
    },
    message: 'must be YYYY-MM',
  },
  webhook_url: {
    validate: (value) => endpointUrlProblem(value) === undefined,
    message: 'must be an absolute http or https URL without credentials',
  },
};
