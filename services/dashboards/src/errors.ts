// The dashboard service's own error codes, each defined once (shared ones — unauthorized,
// forbidden — are platform's; invalid_parameter is ParamError in queries/params.ts).
import { defineError } from '@tollgate/platform';

export const UnknownQuery = defineError('unknown_query', 404, (name: string) => `no query named ${JSON.stringify(name)}; GET /v1/queries lists them`);
