// Which files the tap follows (TAP_TAIL_FILES="format:/absolute/path,…"), checked once at start-up:
// every problem names its entry, so a typo is found before the tap runs, not by missing usage.
import { isAbsolute } from 'node:path';
import { formats } from '../../ingest/formats/index.ts';
import type { FormatName } from '../../ingest/formats/types.ts';

export interface TailFile {
  /** A format with a line parser (InputFormat.parseLine): nginx, combined, ndjson, envoy. */
  format: FormatName;
  path: string;
}

/** Where a file with no checkpoint yet is first read from. */
export type TailStart = 'beginning' | 'end';

export interface TailSettings {
  files: TailFile[];
  start: TailStart;
  /** How often each file is checked for new lines and rotation (fs.watch only hints sooner). */
  pollMs: number;
}

/** The formats a file may hold: those whose records are one per line. */
export function lineFormats(): FormatName[] {
  return (Object.keys(formats) as FormatName[]).filter((name) => formats[name].parseLine !== undefined);
}

export function parseTailFiles(entries: readonly string[]): { files: TailFile[]; problems: string[] } {
  const files: TailFile[] = [];
  const problems: string[] = [];
  const lineBased = lineFormats();
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon).trim() : '';
    const path = colon > 0 ? entry.slice(colon + 1).trim() : '';
    const problem = (why: string): void => {
      problems.push(`TAP_TAIL_FILES entry "${entry}": ${why}`);
    };
    if (colon <= 0 || path === '') {
      problem(`expected format:/absolute/path (format one of ${lineBased.join(', ')})`);
    } else if (!Object.hasOwn(formats, name)) {
      problem(`unknown format "${name}"; a file may hold ${lineBased.join(', ')}`);
    } else if (!lineBased.includes(name as FormatName)) {
      problem(`format "${name}" is not line-based; a file may hold ${lineBased.join(', ')}`);
    } else if (!isAbsolute(path)) {
      problem(`path "${path}" is relative; give the absolute path`);
    } else if (files.some((f) => f.path === path)) {
      problem(`path "${path}" is listed twice`);
    } else {
      files.push({ format: name as FormatName, path });
    }
  }
  return { files, problems };
}
