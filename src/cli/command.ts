/**
 * The shape of a CLI command and the context it runs in.
 *
 * @packageDocumentation
 */

import type { ParseArgsConfig } from 'node:util';
import type { ErrorContext } from './exit.js';
import type { CliIo } from './io.js';

/** Option values as returned by `util.parseArgs`. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a running command sees. */
export interface CommandContext {
  readonly io: CliIo;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  /** Filled in by the command as it learns what it works on; used for error hints. */
  readonly errorContext: { -readonly [K in keyof ErrorContext]: ErrorContext[K] };
}

/** One sub-command of `rocketmq-ts`. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Runs the command; resolves with the exit code. Errors thrown are reported by the caller. */
  run(ctx: CommandContext): Promise<number>;
}

/** A string option's value (`undefined` when absent). */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values. */
export function stringValues(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** A boolean option's value. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}
