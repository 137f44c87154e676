// Follows one log file by path across rotations, handing out its lines in order with their byte
// offsets and the generation (file identity + salt) they belong to. Reads with positioned reads
// on an open handle, so a renamed file can still be read to its end.
//
//   growth:        read from where the last read ended, in chunks of readBytes.
//   rename+create: the path names another file (or none): the old file is read on until it has
//                  been quiet for rotateGraceMs (the writer appends to it until it reopens its log,
//                  nginx on USR1), its held partial line handed out as a last line, then the new
//                  file is read from its first byte.
//   copytruncate:  the file is smaller than what was read, or its first bytes changed (it was
//                  truncated and grew past the old offset between two checks): read again from 0
//                  as a new generation, so its offsets give new ids.
//   restart:       resume at the checkpoint when the path is still the checkpointed file; if it was
//                  rotated meanwhile, the old file is looked for beside it (same device + inode,
//                  logrotate's access.log.1) and finished first.
// Polling, not fs.watch alone: watch events are lost across renames and on network filesystems;
// the caller polls every few hundred ms and may use a watch event only to poll sooner.
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Checkpoint, Generation, Head } from './checkpoint-store.ts';
import { LineSplitter, type Line } from './line-splitter.ts';
import type { TailStart } from './tail-files.ts';

/** How much of a file's start identifies its content (a copytruncate that regrew shows here). */
export const HEAD_BYTES = 256;

export type GenerationReason = 'new' | 'rename' | 'truncate';

export type FollowStep =
  /** position: the offset every line up to which has been handed out (a checkpoint's offset). */
  | { kind: 'lines'; generation: Generation; lines: Line[]; tooLong: number[]; position: number; head: Head | undefined }
  /** A new generation starts at position: its checkpoint is to be written before its lines go. */
  | { kind: 'generation'; generation: Generation; position: number; reason: GenerationReason }
  | { kind: 'idle' };

export interface FollowerOptions {
  path: string;
  maxLineBytes: number;
  readBytes: number;
  rotateGraceMs: number;
  now?: () => number;
}

interface Identity {
  dev: bigint;
  ino: bigint;
}

function sameFile(a: Identity, b: Generation): boolean {
  return String(a.dev) === b.dev && String(a.ino) === b.ino;
}

async function statOrUndefined(path: string): Promise<(Identity & { size: bigint }) | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export class FileFollower {
  private handle: FileHandle | undefined;
  private current: Generation | undefined;
  /** Next byte to read. */
  private readPos = 0;
  private readonly splitter: LineSplitter;
  private head: Head | undefined;
  /** When the path was first seen naming another file than the one being read. */
  private rotatedSince: number | undefined;
  private lastDataAt = 0;
  private readonly queued: FollowStep[] = [];
  private readonly buffer: Buffer;
  private readonly now: () => number;
  /** The size of the file being read, as last seen. */
  size = 0;

  constructor(private readonly options: FollowerOptions) {
    this.splitter = new LineSplitter(options.maxLineBytes);
    this.buffer = Buffer.allocUnsafe(options.readBytes);
    this.now = options.now ?? Date.now;
  }

  get generation(): Generation | undefined {
    return this.current;
  }

  get following(): boolean {
    return this.handle !== undefined;
  }

  /**
   * Positions the follower: at the checkpoint when it still describes a file that can be found,
   * else at the start of the file (the beginning, or its end with `start: 'end'` when there is no
   * checkpoint at all). Answers a note for the log when the checkpointed file is gone.
   */
  async start(checkpoint: Checkpoint | undefined, start: TailStart): Promise<string | undefined> {
    const { path } = this.options;
    if (checkpoint !== undefined) {
      const renamedTo = (await statOrUndefined(path)) && (await this.openMatching(path, checkpoint)) ? path : await this.findRenamed(checkpoint);
      if (renamedTo !== undefined) {
        if (renamedTo !== path) this.rotatedSince = this.now() - this.options.rotateGraceMs;
        return renamedTo === path ? undefined : `resuming ${renamedTo} (rotated from ${path} while the tap was stopped) at offset ${checkpoint.offset}`;
      }
      const note = `the checkpointed file (inode ${checkpoint.generation.ino}) is gone or was truncated; ${path} is read from its beginning`;
      await this.openNew(0, 'new');
      return note;
    }
    await this.openNew(start, 'new');
    return undefined;
  }

  /** Opens `file` and resumes the checkpoint in it if it is the checkpointed file, unchanged. */
  private async openMatching(file: string, checkpoint: Checkpoint): Promise<boolean> {
    const handle = await open(file, 'r');
    const st = await handle.stat({ bigint: true });
    const resumable = sameFile(st, checkpoint.generation) && st.size >= BigInt(checkpoint.offset) && (await headMatches(handle, checkpoint.head));
    if (!resumable) {
      await handle.close();
      return false;
    }
    this.handle = handle;
    this.current = checkpoint.generation;
    this.readPos = checkpoint.offset;
    this.splitter.reset(checkpoint.offset);
    this.head = checkpoint.head;
    this.size = Number(st.size);
    return true;
  }

  /** The checkpointed file under another name in the same folder (logrotate's access.log.1). */
  private async findRenamed(checkpoint: Checkpoint): Promise<string | undefined> {
    const folder = dirname(this.options.path);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      return undefined;
    }
    for (const name of names) {
      if (name === basename(this.options.path)) continue;
      const candidate = join(folder, name);
      const st = await statOrUndefined(candidate).catch(() => undefined);
      if (st && sameFile(st, checkpoint.generation) && (await this.openMatching(candidate, checkpoint).catch(() => false))) return candidate;
    }
    return undefined;
  }

  /** Opens the path as a new generation at `from` (a byte offset, or where TAP_TAIL_START says). */
  private async openNew(from: number | TailStart, reason: GenerationReason): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.options.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // not there yet: polled again
      throw error;
    }
    const st = await handle.stat({ bigint: true });
    this.handle = handle;
    this.size = Number(st.size);
    const offset = from === 'beginning' ? 0 : from === 'end' ? await lastLineEnd(handle, this.size) : from;
    this.begin({ dev: String(st.dev), ino: String(st.ino), salt: randomBytes(8).toString('hex') }, offset, reason);
  }

  private begin(generation: Generation, offset: number, reason: GenerationReason): void {
    this.current = generation;
    this.readPos = offset;
    this.splitter.reset(offset);
    this.head = undefined;
    this.rotatedSince = undefined;
    this.queued.push({ kind: 'generation', generation, position: offset, reason });
  }

  /** The next lines, a new generation, or idle when there is nothing new right now. */
  async next(): Promise<FollowStep> {
    const queued = this.queued.shift();
    if (queued !== undefined) return queued;
    if (this.handle === undefined || this.current === undefined) {
      await this.openNew(0, 'new');
      return this.queued.shift() ?? { kind: 'idle' };
    }
    const handle = this.handle;
    const { bytesRead } = await handle.read(this.buffer, 0, this.buffer.length, this.readPos);
    // The first bytes are checked after the read: a file truncated and rewritten before it would
    // show here, so bytes of the new content are never taken for the old file's continuation.
    if (bytesRead > 0 && !(await headMatches(handle, this.head))) return this.truncated();
    if (bytesRead > 0) {
      this.readPos += bytesRead;
      this.size = Math.max(this.size, this.readPos);
      this.lastDataAt = this.now();
      const split = this.splitter.push(this.buffer.subarray(0, bytesRead));
      await this.updateHead();
      return { kind: 'lines', generation: this.current, ...split, position: this.splitter.position, head: this.head };
    }
    // At the end of what is written: has the file been truncated, or the path moved on?
    this.size = Number((await handle.stat()).size);
    if (this.size < this.readPos || !(await headMatches(handle, this.head))) return this.truncated();
    const atPath = await statOrUndefined(this.options.path);
    if (atPath !== undefined && sameFile(atPath, this.current)) {
      this.rotatedSince = undefined;
      return { kind: 'idle' };
    }
    const now = this.now();
    this.rotatedSince ??= now;
    // The writer may append to the renamed file until it reopens its log; no new file yet: wait.
    if (atPath === undefined || now - Math.max(this.rotatedSince, this.lastDataAt) < this.options.rotateGraceMs) return { kind: 'idle' };
    const last = this.lastLines();
    this.handle = undefined;
    await handle.close();
    await this.openNew(0, 'rename');
    return last ?? this.queued.shift() ?? { kind: 'idle' };
  }

  /** Truncated (copytruncate): the held partial line goes out, then a new generation from 0. */
  private truncated(): FollowStep {
    const last = this.lastLines();
    this.begin({ ...(this.current as Generation), salt: randomBytes(8).toString('hex') }, 0, 'truncate');
    return last ?? (this.queued.shift() as FollowStep);
  }

  /** The held partial line of a file that will not grow any more, as a last lines step. */
  private lastLines(): FollowStep | undefined {
    const split = this.splitter.flush();
    if (split.lines.length === 0 && split.tooLong.length === 0) return undefined;
    return { kind: 'lines', generation: this.current as Generation, ...split, position: this.splitter.position, head: this.head };
  }

  /** Fingerprints the file's first bytes once more of them than last time are known. */
  private async updateHead(): Promise<void> {
    const bytes = Math.min(HEAD_BYTES, this.readPos);
    if (this.handle === undefined || (this.head !== undefined && this.head.bytes >= bytes)) return;
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await this.handle.read(buffer, 0, bytes, 0);
    this.head = { bytes: bytesRead, sha256: createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex') };
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/** Whether the file still starts with the bytes fingerprinted in `head` (true without one). */
async function headMatches(handle: FileHandle, head: Head | undefined): Promise<boolean> {
  if (head === undefined || head.bytes === 0) return true;
  const buffer = Buffer.alloc(head.bytes);
  const { bytesRead } = await handle.read(buffer, 0, head.bytes, 0);
  return bytesRead === head.bytes && createHash('sha256').update(buffer).digest('hex') === head.sha256;
}

/** The offset just after the file's last newline (at most 64 KiB back), where 'end' starts. */
async function lastLineEnd(handle: FileHandle, size: number): Promise<number> {
  const window = Math.min(size, 64 * 1024);
  const buffer = Buffer.alloc(window);
  const { bytesRead } = await handle.read(buffer, 0, window, size - window);
  const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
  return newline === -1 ? (size > window ? size : 0) : size - window + newline + 1;
}
