// A bounded, append-only on-disk queue of Kafka messages, used while Kafka is unreachable.
//
// Layout: numbered segment files of frames, plus cursor.json naming the first unsent frame.
// Frame: [u32 payload length][u32 crc32 of payload][payload = JSON array of messages].
// One frame holds one batch, so one write (and at most one fsync) acknowledges a whole batch.
// A crash can tear only the last frame of the last segment; opening the spool cuts it off
// (it was never acknowledged, because acknowledgement waits for the write to finish).
// The spool holds usage events (consumer ids, client addresses): its folder is 0700 and its files
// 0600. With fsync 'always', a new segment's entry in the folder and the cursor are made durable
// too, not only the frames: a power loss must neither lose a segment that acknowledged frames
// live in nor bring back a cursor that replays what Kafka already has.
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { TextMessage } from './text-message.ts';

export type FsyncPolicy = 'always' | 'never';

export interface SpoolOptions {
  dir: string;
  /** Pending bytes beyond which append refuses (the tap answers 503). */
  maxBytes: number;
  segmentBytes: number;
  /** always: fsync before an append resolves (nothing acknowledged is lost on power failure);
   *  never: leave it to the OS (survives a process crash, not a machine crash). */
  fsync: FsyncPolicy;
}

export class SpoolFullError extends Error {
  constructor(readonly pendingBytes: number, readonly maxBytes: number) {
    super(`spool full: ${pendingBytes} of ${maxBytes} bytes pending`);
    this.name = 'SpoolFullError';
  }
}

interface Cursor {
  segment: number;
  offset: number;
}

export interface SpoolChunk {
  messages: TextMessage[];
  /** Where the cursor moves once these messages are safely in Kafka. */
  next: Cursor;
}

const HEADER_BYTES = 8;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const segmentName = (n: number): string => `segment-${String(n).padStart(12, '0')}.spool`;

export class Spool {
  private writer: FileHandle | undefined;
  private writeSegment = 0;
  private writeOffset = 0;
  private segmentSizes = new Map<number, number>();
  private readCache: { segment: number; data: Buffer } | undefined;

  private constructor(
    private readonly options: SpoolOptions,
    private cursor: Cursor,
  ) {}

  static async open(options: SpoolOptions): Promise<Spool> {
    await mkdir(options.dir, { recursive: true, mode: DIR_MODE });
    // A folder that was there already (an older tap's) is closed as well; one this process does
    // not own (a mounted volume) keeps its mode, its files are 0600 all the same.
    await chmod(options.dir, DIR_MODE).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPERM') throw error;
    });
    const segments = (await readdir(options.dir))
      .map((f) => /^segment-(\d{12})\.spool$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const cursor = await readCursor(options.dir, segments[0] ?? 1);
    const spool = new Spool(options, cursor);
    for (const segment of segments) {
      if (segment < cursor.segment) {
        await rm(spool.path(segment), { force: true });
        continue;
      }
      spool.segmentSizes.set(segment, (await stat(spool.path(segment))).size);
    }
    const last = segments.at(-1);
    if (last !== undefined && last >= cursor.segment) {
      spool.segmentSizes.set(last, await spool.cutTornTail(last));
    }
    spool.writeSegment = Math.max(last ?? cursor.segment, cursor.segment);
    spool.writeOffset = spool.segmentSizes.get(spool.writeSegment) ?? 0;
    return spool;
  }

  /** Bytes appended and not yet sent. */
  get pendingBytes(): number {
    let total = 0;
    for (const [segment, size] of this.segmentSizes) total += segment === this.cursor.segment ? size - this.cursor.offset : size;
    return total;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  get isEmpty(): boolean {
    return this.pendingBytes === 0;
  }

  async append(messages: TextMessage[]): Promise<void> {
    const payload = Buffer.from(JSON.stringify(messages));
    const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    payload.copy(frame, HEADER_BYTES);

    const pending = this.pendingBytes;
    if (pending + frame.length > this.options.maxBytes) throw new SpoolFullError(pending, this.options.maxBytes);

    if (this.writeOffset > 0 && this.writeOffset + frame.length > this.options.segmentBytes) await this.rotate();
    const writer = await this.openWriter();
    await writer.write(frame, 0, frame.length, this.writeOffset);
    if (this.options.fsync === 'always') await writer.datasync();
    this.writeOffset += frame.length;
    this.segmentSizes.set(this.writeSegment, this.writeOffset);
  }

  /**
   * The oldest unsent frame — one appended batch, exactly as it was appended; undefined when empty.
   * Replaying a batch whole matters: a batch whose send failed may have been written by the broker
   * all the same, and the idempotent producer's resend of the identical batch (same partitions,
   * same sequence numbers) is what lets the broker recognise it as a duplicate.
   */
  async read(): Promise<SpoolChunk | undefined> {
    let { segment, offset } = this.cursor;
    let size = this.segmentSizes.get(segment);
    while (size !== undefined && offset >= size) {
      if (segment >= this.writeSegment) return undefined;
      segment += 1;
      offset = 0;
      size = this.segmentSizes.get(segment);
    }
    if (size === undefined) return undefined;
    const data = await this.segmentData(segment, size);
    const length = data.readUInt32LE(offset);
    const payload = data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    const messages = JSON.parse(payload.toString('utf8')) as TextMessage[];
    return { messages, next: { segment, offset: offset + HEADER_BYTES + length } };
  }

  /** Marks a chunk as sent: moves the cursor and deletes segments left behind. */
  async commit(chunk: SpoolChunk): Promise<void> {
    const previous = this.cursor.segment;
    this.cursor = chunk.next;
    await writeCursor(this.options.dir, this.cursor, this.options.fsync === 'always');
    for (let segment = previous; segment < this.cursor.segment; segment += 1) {
      this.segmentSizes.delete(segment);
      if (this.readCache?.segment === segment) this.readCache = undefined;
      await rm(this.path(segment), { force: true });
    }
    if (this.isEmpty && this.cursor.segment === this.writeSegment && this.writeOffset > 0) {
      // Everything is sent: start a fresh segment so the spool's files do not grow without bound.
      await this.rotate();
      await this.commit({ messages: [], next: { segment: this.writeSegment, offset: 0 } });
    }
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.writer = undefined;
  }

  /** Segment bytes, cached: draining reads a segment frame by frame, appends only grow it. */
  private async segmentData(segment: number, size: number): Promise<Buffer> {
    if (this.readCache?.segment !== segment || this.readCache.data.length < size) {
      this.readCache = { segment, data: await readFile(this.path(segment)) };
    }
    return this.readCache.data;
  }

  private path(segment: number): string {
    return join(this.options.dir, segmentName(segment));
  }

  private async openWriter(): Promise<FileHandle> {
    if (this.writer) return this.writer;
    const path = this.path(this.writeSegment);
    try {
      this.writer = await open(path, 'ax+', FILE_MODE);
      // A new file: its entry in the folder is what makes it findable after a power loss.
      if (this.options.fsync === 'always') await syncDir(this.options.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      this.writer = await open(path, 'a+', FILE_MODE);
      await this.writer.chmod(FILE_MODE);
    }
    return this.writer;
  }

  private async rotate(): Promise<void> {
    await this.writer?.close();
    this.writer = undefined;
    this.writeSegment += 1;
    this.writeOffset = 0;
    this.segmentSizes.set(this.writeSegment, 0);
  }

  /** Returns the length of the valid prefix of a segment, truncating a torn last frame. */
  private async cutTornTail(segment: number): Promise<number> {
    const data = await readFile(this.path(segment));
    let offset = 0;
    while (offset + HEADER_BYTES <= data.length) {
      const length = data.readUInt32LE(offset);
      const end = offset + HEADER_BYTES + length;
      if (end > data.length || crc32(data.subarray(offset + HEADER_BYTES, end)) !== data.readUInt32LE(offset + 4)) break;
      offset = end;
    }
    if (offset < data.length) {
      const handle = await open(this.path(segment), 'r+');
      await handle.truncate(offset);
      await handle.close();
    }
    return offset;
  }
}

async function readCursor(dir: string, firstSegment: number): Promise<Cursor> {
  try {
    const cursor = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as Cursor;
    if (Number.isInteger(cursor.segment) && Number.isInteger(cursor.offset)) return cursor;
  } catch {
    // No cursor yet: start at the first segment.
  }
  return { segment: firstSegment, offset: 0 };
}

async function writeCursor(dir: string, cursor: Cursor, durable: boolean): Promise<void> {
  // Write-then-rename: a crash leaves either the old cursor or the new one, never half of one;
  // durable: the new one's bytes reach the disk before the rename, and the rename after it.
  const tmp = join(dir, 'cursor.json.tmp');
  const file = await open(tmp, 'w', FILE_MODE);
  try {
    await file.chmod(FILE_MODE);
    await file.writeFile(JSON.stringify(cursor));
    if (durable) await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, 'cursor.json'));
  if (durable) await syncDir(dir);
}

/** fsync of a folder: makes the files created, renamed or removed in it durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
