// The string formats billing's route schemas use, beyond JSON Schema's own, and the errors a bad
// value answers (a bad period is invalid_period, a bad customer invalid_customer).
import { badInput, inputErrorFormatter, type InputErrorFactory, type InputFormats } from '@tollgate/platform';
import { parsePeriod } from '@tollgate/pricing';
import { InvalidCustomer, InvalidPeriod } from '../errors.ts';
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

const toError: InputErrorFactory = (param, problem, context) => {
  if (param === 'period') return new InvalidPeriod(`period: ${problem}`);
  if (param === 'customer') return new InvalidCustomer(`customer: ${problem}`);
  return badInput(param, problem, context);
};
export const schemaErrorFormatter = inputErrorFormatter(BILLING_FORMATS, toError);
/** A billing period, YYYY-MM. */
export const PERIOD_SCHEMA = { type: 'string', format: 'period' } as const;
