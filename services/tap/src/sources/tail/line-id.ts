// Event ids for lines that carry none (a combined log line, an nginx line without $request_id):
// derived from where the line is — the file's identity, its generation salt and the line's byte
// offset — so a line read again after a crash gets the id it had, and downstream deduplication
// by event id drops the replay. A UUID (version 8: custom), the form the formats' own generated
// ids have: 74 bits of SHA-256(dev:ino:salt) name the generation, the last 48 bits are the offset
// (files up to 256 TiB). One hash per generation, not per line: a hash per line cost 4-5 µs of
// the ~25 µs a combined line takes to map (bench/tail-source.ts); the salt, new at every rotation
// and truncation, keeps a reused inode or a truncated file's offsets from repeating an id.
import { createHash } from 'node:crypto';
import type { Generation } from './checkpoint-store.ts';

const MAX_OFFSET = 2 ** 48;

/** The id of the line at each offset of one generation. */
export function lineEventIds(generation: Generation): (offset: number) => string {
  const hex = createHash('sha256').update(`${generation.dev}:${generation.ino}:${generation.salt}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  const prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-`;
  return (offset) => {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= MAX_OFFSET) throw new RangeError(`line offset ${offset} is out of range`);
    return `${prefix}${offset.toString(16).padStart(12, '0')}`;
  };
}

export function lineEventId(generation: Generation, offset: number): string {
  return lineEventIds(generation)(offset);
}
