// The tap's file source: follows log files (TAP_TAIL_FILES) into the same event sink as the
// HTTP ingest routes. tail-files (settings) → file-follower (rotation, line-splitter) → file-tail
// (map, deliver, checkpoint-store) → tail-source (every file, watch hints, metrics, health).
export { parseTailFiles, lineFormats, type TailFile, type TailSettings, type TailStart } from './tail-files.ts';
export { TailSource, type TailSourceDeps } from './tail-source.ts';
