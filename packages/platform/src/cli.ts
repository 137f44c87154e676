// Command lines of Tollgate's CLIs (npm start, npm run migrate, consumers, billing): one parser so
// every command answers --help the same way (usage, options, examples on stdout, exit 0) and turns a
// mistake into a one-line reason plus the usage on stderr with exit code 2, never a stack trace.
import { parseArgs } from 'node:util';

export interface CliOption {
  type: 'boolean' | 'string';
  description: string;
  short?: string;
  /** For string options: how the value is shown in the help (`--period YYYY-MM`). */
  value?: string;
}

export interface CliSpec {
  /** How the command is invoked, e.g. `npm run migrate --`. */
  command: string;
  summary: string;
  /** Positional arguments after the command, as shown in the usage line (`import FILE`). */
  positionals?: string;
  options: Record<string, CliOption>;
  examples: string[];
  /** Lines after the examples: environment variables, where to read more. */
  notes?: string[];
}

export type CliValues = Record<string, string | boolean | undefined>;

export type CliParse = { ok: true; values: CliValues; positionals: string[] } | { ok: false; exitCode: 0 | 2 };

export function cliHelp(spec: CliSpec): string {
  const help: CliOption = { type: 'boolean', description: 'show this help and exit', short: 'h' };
  const options = Object.entries({ ...spec.options, help });
  const shown = options.map(([name, o]) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`);
  const width = Math.max(...shown.map((s) => s.length)) + 2;
  return [
    `usage: ${spec.command}${spec.positionals ? ` ${spec.positionals}` : ''} [options]`,
    '',
    spec.summary,
    '',
    'options:',
    ...options.map(([, o], i) => `  ${(shown[i] ?? '').padEnd(width)}${o.description}`),
    '',
    'examples:',
    ...spec.examples.map((e) => `  ${e}`),
    ...(spec.notes && spec.notes.length > 0 ? ['', ...spec.notes] : []),
    '',
  ].join('\n');
}

/** Parses argv by the spec; on --help or a mistake it has printed what the user needs and says which exit code to use. */
export function parseCommandLine(spec: CliSpec, argv: readonly string[], out: { log(text: string): void; error(text: string): void } = console): CliParse {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed: { values: CliValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: spec.positionals !== undefined, strict: true });
  } catch (error) {
    out.error(`${spec.command}: ${(error as Error).message.split('\n')[0] ?? ''}`);
    out.error(cliHelp(spec));
    return { ok: false, exitCode: 2 };
  }
  if (parsed.values.help) {
    out.log(cliHelp(spec));
    return { ok: false, exitCode: 0 };
  }
  return { ok: true, values: parsed.values, positionals: parsed.positionals };
}
