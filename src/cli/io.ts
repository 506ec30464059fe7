import { ParseArgsConfig, parseArgs } from 'node:util';

/** Where a command-line tool writes; tests pass their own to read what a person would see. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes shared by the package's tools. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line: exit 2 with the reason and a pointer to --help. */
export class UsageError extends Error {}

/** Runs a tool's main function as a process: exit code from it, and no stack trace for a person. */
export function runAsProcess(main: (argv: string[], io: CliIo) => Promise<number>): void {
  main(process.argv.slice(2), processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}

/** node:util's parseArgs, its complaints turned into a UsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    // Its messages may run over several lines; a usage error is one.
    throw new UsageError((err as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

/** A whole-number option from `min` to `max`, in decimal or 0x-hex. */
export function integerOption(text: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  const trimmed = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(trimmed) ? Number.parseInt(trimmed, 16) : /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`invalid ${name}: ${text} (${min} to ${max})`);
  return n;
}

/** A number option (seconds, say) that `valid` accepts. */
export function numberOption(text: string | undefined, fallback: number, name: string, valid: (n: number) => boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !valid(n)) throw new UsageError(`invalid ${name}: ${text}`);
  return n;
}

/**
 * The frame every tool shares: a bad command line gives one line on stderr and exit 2, --help (a
 * parse result of null) prints the usage, anything else runs the tool.
 */
export async function runTool<O>(
  name: string,
  usage: string,
  argv: readonly string[],
  io: CliIo,
  parse: (argv: readonly string[]) => O | null,
  run: (options: O) => Promise<number>,
): Promise<number> {
  let options: O | null;
  try {
    options = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${name}: ${err.message} (see --help)`);
    return EXIT_USAGE;
  }
  if (options === null) {
    io.out(usage);
    return EXIT_OK;
  }
  return await run(options);
}
