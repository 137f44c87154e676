// The built-in dashboard page (/, /app.js, /style.css), served without a token: the page asks for
// one and sends it to the query API. Files are read once at start-up.
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { textResponse } from '@tollgate/platform';

const PUBLIC_DIR = new URL('../../public/', import.meta.url);
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
// The page loads nothing from elsewhere (the machine may be offline) and talks only to this origin.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export const pageRoutes: FastifyPluginAsync = async (app) => {
  for (const [path, { file, type }] of Object.entries(STATIC_FILES)) {
    const body = await readFile(new URL(file, PUBLIC_DIR), 'utf8');
    const mediaType = type.split(';')[0] ?? type;
    app.get(path, { schema: { tags: ['page'], summary: `The dashboard page: ${file}`, response: { 200: textResponse(mediaType, file) } } }, async (_request, reply) => reply.type(type).header('content-security-policy', CSP).header('cache-control', 'no-cache').send(body));
  }
};
