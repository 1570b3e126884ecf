// Strict command-line parsing for every `hvar` command (node:util parseArgs) and one-line usage errors (exit code 2).
import { parseArgs } from 'node:util';
import { accessSync, constants, statSync } from 'node:fs';

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(cmd: string, msg: string) {
    super(`hvar ${cmd}: ${msg} (see 'hvar ${cmd} --help')`);
    this.name = 'UsageError';
  }
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `argv` strictly against `flags` (plus --help/-h). Returns null when help was asked for (the caller prints
 * its usage and exits 0). Unknown flags, missing or ambiguous values, flags given twice and a wrong number of
 * positionals throw UsageError naming the flag.
 */
export function parseCommand(cmd: string, argv: string[], flags: FlagSpec, positionals: { names: string[]; min?: number }): Parsed | null {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...flags, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-{1,2}[^' <]+)/.exec(err.message)?.[1] ?? '?';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(cmd, `unknown option '${flag}'`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(err.message)) throw new UsageError(cmd, `${flag} takes no value`);
      throw new UsageError(cmd, `${flag} needs a value`);
    }
    throw new UsageError(cmd, err.message.split('\n')[0]!);
  }
  if (r.values.help) return null;
  const seen = new Set<string>();
  for (const t of r.tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new UsageError(cmd, `--${t.name} is given more than once`);
    seen.add(t.name);
  }
  const min = positionals.min ?? positionals.names.length, max = positionals.names.length;
  const n = r.positionals.length;
  if (n < min) throw new UsageError(cmd, `missing ${positionals.names.slice(n).join(' and ')}`);
  if (n > max) throw new UsageError(cmd, `unexpected argument '${r.positionals[max]}'`);
  return { values: r.values as Parsed['values'], positionals: r.positionals };
}

/** A decimal integer (no sign, no 0x/exponent/fraction) within [min, max], max at most 2^53 - 1. */
export function intFlag(cmd: string, flag: string, v: string | boolean | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  const s = String(v);
  const range = `from ${min} to ${max}`;
  if (!/^(0|[1-9][0-9]*)$/.test(s)) throw new UsageError(cmd, `${flag} expects a decimal integer ${range}, got '${s}'`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(cmd, `${flag} expects a decimal integer ${range}, got '${s}'`);
  return n;
}

/** A finite decimal number (plain or exponent notation) within [min, max]. */
export function numberFlag(cmd: string, flag: string, v: string | boolean | undefined, dflt: number, min: number, max = Infinity): number {
  if (v === undefined) return dflt;
  const s = String(v), n = Number(s);
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s) || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(cmd, `${flag} expects a number from ${min} to ${max}, got '${s}'`);
  return n;
}

/** One of a fixed set of decimal integers. */
export function choiceIntFlag(cmd: string, flag: string, v: string | boolean | undefined, dflt: number, allowed: readonly number[]): number {
  if (v === undefined) return dflt;
  const s = String(v);
  if (!/^[1-9][0-9]*$/.test(s) || !allowed.includes(Number(s))) throw new UsageError(cmd, `${flag} expects one of ${allowed.join(', ')}, got '${s}'`);
  return Number(s);
}

/** Scales the CLI accepts for degrade and upscale. */
export const SCALES = [1, 2, 3, 4, 8] as const;

/** A string flag that may not be empty. */
export function stringFlag(cmd: string, flag: string, v: string | boolean | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!s) throw new UsageError(cmd, `${flag} needs a non-empty value`);
  return s;
}

/** Checks an input file given by a flag (weights etc.) before any work: it exists, is a regular file, is readable. */
export function checkInputFile(cmd: string, flag: string, path: string): void {
  let st;
  try { st = statSync(path); } catch { throw new UsageError(cmd, `${flag}: cannot read '${path}': no such file`); }
  if (!st.isFile()) throw new UsageError(cmd, `${flag}: cannot read '${path}': not a regular file`);
  try { accessSync(path, constants.R_OK); } catch { throw new UsageError(cmd, `${flag}: cannot read '${path}': permission denied`); }
}

/** Checks an input directory given by a flag before any work. */
export function checkInputDir(cmd: string, flag: string, path: string): void {
  let st;
  try { st = statSync(path); } catch { throw new UsageError(cmd, `${flag}: '${path}': no such directory`); }
  if (!st.isDirectory()) throw new UsageError(cmd, `${flag}: '${path}' is not a directory`);
}

/**
 * Runs a command body: UsageError -> its one line, exit 2; any other error -> its message's first line, exit 1.
 */
export async function runCommand(body: () => Promise<number>): Promise<number> {
  try { return await body(); } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    console.error(msg.split('\n')[0]);
    return e instanceof UsageError ? 2 : 1;
  }
}
