// Progress of a long CLI run (billing runs per customer, consumer imports per 1 000 rows), for a
// person watching a terminal only: when the stream is not a TTY (a pipe, a file, CI logs) or the
// output is machine-read (--json), nothing is written, so scripted output stays exactly the result.
// On a terminal one line is rewritten in place and ended once the run is done.

/** Where progress goes (process.stderr): whether it is a terminal is read from it, so tests pass a fake. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** The line for `done` of `total`, e.g. (37, 120) => "invoiced 37/120 customers". */
  describe: (done: number, total: number) => string;
  /** Write every `every` items (and at the last one); default 1. */
  every?: number;
  /** Machine-read output (--json): stay quiet whatever the stream is. */
  quiet?: boolean;
}

export interface Progress {
  /** `done` of `total` items are through. */
  update(done: number, total: number): void;
  /** Ends the line, if one was written. */
  finish(): void;
}

const SILENT: Progress = { update: () => undefined, finish: () => undefined };

export function terminalProgress(options: ProgressOptions): Progress {
  if (options.quiet === true || options.stream.isTTY !== true) return SILENT;
  const every = Math.max(1, Math.floor(options.every ?? 1));
  let open = false;
  return {
    update(done, total) {
      if (done % every !== 0 && done !== total) return;
      // \r and "erase to end of line": the line is rewritten in place, never scrolled.
      options.stream.write(`\r${options.describe(done, total)}\u001b[K`);
      open = true;
    },
    finish() {
      if (open) options.stream.write('\n');
      open = false;
    },
  };
}
