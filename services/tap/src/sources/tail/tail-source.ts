// The tap's file source (TAP_TAIL_FILES): one FileTail per followed file, all feeding the same
// event sink as the HTTP ingest routes. Each file is polled every pollMs; an fs.watch on its
// folder (the file itself would be lost at its first rename) only makes a poll come sooner, since
// watch events are dropped on some filesystems and across renames.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { formats } from '../../ingest/formats/index.ts';
import type { MapContext } from '../../ingest/formats/types.ts';
import type { TapMetrics } from '../../metrics.ts';
import { CheckpointStore } from './checkpoint-store.ts';
import { FileTail, type MessageSink } from './file-tail.ts';
import type { TailSettings } from './tail-files.ts';
import { createTailMetrics } from './tail-metrics.ts';

export interface TailSourceDeps {
  settings: TailSettings;
  /** The tap's spool folder: checkpoints live in its tail/ subfolder. */
  spoolDir: string;
  /** fsync checkpoints before relying on them (TAP_SPOOL_FSYNC=always). */
  durable: boolean;
  sink: MessageSink;
  mapContext: Omit<MapContext, 'receivedAt'>;
  tapMetrics: TapMetrics;
  registry: Registry;
  log: Logger;
  now?: () => Date;
}

export class TailSource {
  private readonly tails: FileTail[];
  private readonly watchers: FSWatcher[] = [];

  constructor(deps: TailSourceDeps) {
    const store = new CheckpointStore(deps.spoolDir, deps.durable);
    const metrics = createTailMetrics(deps.registry, () => deps.settings.files.map((file, i) => [file.path, this.tails[i]?.bytesBehind ?? 0]));
    const log = deps.log.child({ component: 'tail' });
    this.tails = deps.settings.files.map(
      (file) =>
        new FileTail({
          file,
          format: formats[file.format],
          start: deps.settings.start,
          pollMs: deps.settings.pollMs,
          store,
          sink: deps.sink,
          mapContext: deps.mapContext,
          tapMetrics: deps.tapMetrics,
          metrics,
          log,
          now: deps.now ?? (() => new Date()),
        }),
    );
    deps.settings.files.forEach((file, i) => {
      const tail = this.tails[i] as FileTail;
      try {
        const watcher = watch(dirname(file.path), { persistent: false }, (_event, name) => {
          if (name === null || name === basename(file.path)) tail.wake();
        });
        watcher.on('error', () => watcher.close());
        this.watchers.push(watcher);
      } catch {
        // No folder yet, or no inotify: polling alone finds the file.
      }
    });
  }

  start(): void {
    for (const tail of this.tails) tail.start();
  }

  /** For /readyz: each followed file's state, by path. */
  checks(): Record<string, string> {
    const checks: Record<string, string> = {};
    for (const tail of this.tails) checks[`tail ${tail.path}`] = tail.state;
    return checks;
  }

  /** Stops reading every file, waits for their deliveries, writes their final checkpoints. */
  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    await Promise.all(this.tails.map((tail) => tail.close()));
  }
}
