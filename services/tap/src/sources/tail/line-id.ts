// Event ids for lines that carry none (a combined log line, an nginx line without $request_id):
// derived from where the line is — the file's identity, its generation salt and the line's byte
// offset — so a line read again after a crash gets the id it had, and downstream deduplication
// by event id drops the replay. A UUID (version 8: custom) made of a SHA-256, the form the
// formats' own generated ids have.
import { createHash } from 'node:crypto';
import type { Generation } from './checkpoint-store.ts';

export function lineEventId(generation: Generation, offset: number): string {
  const hex = createHash('sha256').update(`${generation.dev}:${generation.ino}:${generation.salt}:${offset}`).digest('hex');
  const version = `8${hex.slice(13, 16)}`;
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16) + hex.slice(17, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${hex.slice(20, 32)}`;
}
