// Cuts the bytes of a file into lines, each with the byte offset it starts at: the offset is what
// a checkpoint stores and what a line's event id is derived from, so it counts bytes, not
// characters. A last line without its newline is held until its newline arrives (a writer may be
// half-way through it); position() never moves past it, so a restart reads it again whole.
// A line longer than maxLineBytes is dropped (reported by offset) instead of growing the buffer
// without bound: one runaway line must not stop the file.

export interface Line {
  text: string;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
}

export interface SplitLines {
  lines: Line[];
  /** Offsets of lines dropped for being longer than maxLineBytes. */
  tooLong: number[];
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  /** Bytes of the line not yet ended, starting at heldOffset. */
  private held: Buffer | undefined;
  private heldOffset: number;
  /** Inside a line already reported too long: bytes are dropped up to its newline. */
  private skipping = false;

  constructor(
    private readonly maxLineBytes: number,
    offset = 0,
  ) {
    this.heldOffset = offset;
  }

  /** Offset just after the last newline seen: where every line before it is handed out. */
  get position(): number {
    return this.heldOffset;
  }

  /** Starts again at `offset` (a truncated or new file), forgetting any held bytes. */
  reset(offset: number): void {
    this.held = undefined;
    this.heldOffset = offset;
    this.skipping = false;
  }

  /** The bytes that follow everything pushed so far. */
  push(chunk: Buffer): SplitLines {
    const data = this.held === undefined ? chunk : Buffer.concat([this.held, chunk]);
    const base = this.heldOffset;
    const out: SplitLines = { lines: [], tooLong: [] };
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      if (this.skipping) this.skipping = false;
      else this.emit(data, start, nl, base, out);
      start = nl + 1;
    }
    this.heldOffset = base + start;
    const rest = data.length - start;
    if (this.skipping || rest === 0) {
      this.held = undefined;
    } else if (rest > this.maxLineBytes) {
      out.tooLong.push(this.heldOffset);
      this.held = undefined;
      this.skipping = true;
    } else {
      // A copy: the caller reuses its read buffer.
      this.held = Buffer.from(data.subarray(start));
    }
    if (this.skipping) this.heldOffset = base + data.length;
    return out;
  }

  /**
   * The held bytes as a last line, for a file that will not grow any more (rotated away or
   * truncated): its writer will never end it.
   */
  flush(): SplitLines {
    const out: SplitLines = { lines: [], tooLong: [] };
    if (this.held !== undefined) {
      this.emit(this.held, 0, this.held.length, this.heldOffset, out);
      this.heldOffset += this.held.length;
      this.held = undefined;
    }
    this.skipping = false;
    return out;
  }

  private emit(data: Buffer, start: number, end: number, base: number, out: SplitLines): void {
    const stop = end > start && data[end - 1] === CR ? end - 1 : end;
    if (stop - start > this.maxLineBytes) {
      out.tooLong.push(base + start);
      return;
    }
    const text = data.toString('utf8', start, stop);
    if (text.trim() !== '') out.lines.push({ text, offset: base + start });
  }
}
