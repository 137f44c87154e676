// Every gateway input format, by name. Each module's header comment documents its mapping.
import { apisix } from './apisix.ts';
import { cloudevents } from './cloudevents.ts';
import { combined } from './combined.ts';
import { envoy } from './envoy.ts';
import { kong } from './kong.ts';
import { ndjson } from './ndjson.ts';
import { nginx } from './nginx.ts';
import type { FormatName, InputFormat } from './types.ts';

export const formats: Record<FormatName, InputFormat> = { kong, envoy, apisix, nginx, combined, ndjson, cloudevents };

export { apisix, cloudevents, combined, envoy, kong, ndjson, nginx };
export type { FormatName, InputFormat, MapContext, MapResult, SplitResult } from './types.ts';
