// Where each followed file stands, kept in <spool dir>/tail/: the identity of the file being read
// (device + inode), the generation salt its event ids are derived with, and the byte offset up to
// which every line is in Kafka or the spool. One JSON file per followed path, replaced by
// write-temp + fsync + rename (+ fsync of the folder): a crash leaves the old checkpoint or the
// new one, never half of one, and never one the disk has not got. The caller writes a checkpoint
// only for lines already acknowledged, so a restart replays at most what was not (same ids).
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** One file's lines from one start: a file identity and a salt, new at every rotation or truncation. */
export interface Generation {
  /** Device and inode numbers, as decimal strings (inodes may exceed 2^53). */
  dev: string;
  ino: string;
  /** Random per generation: a truncated file, or a new file reusing a freed inode, gets new ids. */
  salt: string;
}

/**
 * The file's first bytes (at most HEAD_BYTES) as read: a copytruncate that the file outgrew before
 * it was noticed shows as different first bytes.
 */
export interface Head {
  bytes: number;
  sha256: string;
}

export interface Checkpoint {
  path: string;
  generation: Generation;
  offset: number;
  head?: Head;
}

const FILE_MODE = 0o600;

export class CheckpointStore {
  readonly dir: string;

  /** durable: fsync before a save resolves (the spool's TAP_SPOOL_FSYNC=always). */
  constructor(
    spoolDir: string,
    private readonly durable: boolean,
  ) {
    this.dir = join(spoolDir, 'tail');
  }

  private fileOf(path: string): string {
    return join(this.dir, `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.json`);
  }

  async load(path: string): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.fileOf(path), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const checkpoint = JSON.parse(text) as Checkpoint;
    if (checkpoint.path !== path || !Number.isSafeInteger(checkpoint.offset) || typeof checkpoint.generation?.ino !== 'string') {
      throw new Error(`tail checkpoint ${this.fileOf(path)} is not a checkpoint of ${path}`);
    }
    return checkpoint;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.fileOf(checkpoint.path);
    const tmp = `${target}.tmp`;
    const file = await open(tmp, 'w', FILE_MODE);
    try {
      await file.writeFile(JSON.stringify(checkpoint));
      if (this.durable) await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, target);
    if (this.durable) {
      const folder = await open(this.dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    }
  }
}
