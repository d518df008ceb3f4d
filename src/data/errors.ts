/**
 * Data errors. A BadSampleError names one file and what is wrong with it; the reader either
 * stops with it (on_bad_sample: error) or skips the sample with one warning line (skip).
 * DataError is anything else the reader cannot go on from (a missing list file, a worker that
 * died); it carries one line, never a stack from inside a worker.
 */

export class DataError extends Error {
  override name = 'DataError';
}

export class BadSampleError extends DataError {
  override name = 'BadSampleError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`bad sample ${file}: ${problem}`);
  }
}

/** The message of anything thrown, on one line. */
export function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/\s*\n\s*/g, ' ').trim();
}
