// The console (console-assets.ts): the operator page at /, the consumer page at /consumer, their
// stylesheet and bundled scripts, served without a token: each page takes its token
// from the URL fragment (never sent to the server) or asks for it, and sends it only as the
// Authorization header of API calls.
import type { FastifyPluginAsync } from 'fastify';
import { textResponse } from '@tollgate/platform';
import type { ConsoleAssets } from '../console-assets.ts';

// The pages load nothing from elsewhere (the machine may be offline) and talk only to this origin.
// ECharts sets inline styles on the elements it draws, hence style-src 'unsafe-inline'; scripts stay 'self'.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export const pageRoutes: FastifyPluginAsync<{ assets: ConsoleAssets }> = async (app, { assets }) => {
  for (const [path, { body, type }] of assets) {
    const mediaType = type.split(';')[0] ?? type;
    app.get(path, { schema: { tags: ['page'], summary: `The console: ${path}`, response: { 200: textResponse(mediaType, path) } } }, async (_request, reply) => reply.type(type).header('content-security-policy', CSP).header('cache-control', 'no-cache').send(body));
  }
};
