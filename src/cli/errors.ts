/**
 * CLI error classes and exit codes. 2: the command line or the config must change before
 * anything can run (bad flags, bad ratios, bad config, unknown parameter names); 1: something
 * failed while running (missing stage, I/O, a bug). Every error is printed as one line on
 * stderr; the stack only with SLIMPRUNE_DEBUG=1.
 */
import { ConfigError } from '../config';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake (flags, their values, parameter names). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure while running (a stage not available, a file that cannot be written...). */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? EXIT_USAGE : EXIT_RUNTIME;
}

/** The single line printed for `err`. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}
