/**
 * What every dataset shares: its config fields (dataset_dir, image_dir, anno_path,
 * sample_num, with_background), how bad entries are handled while listing, and the loaded
 * result (records plus class names).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { BadSamplePolicy, DataRecord } from '../types';
import { BadSampleError, DataError } from '../errors';

export interface DatasetFields {
  dataset_dir?: string | null;
  image_dir?: string | null;
  anno_path?: string | null;
  sample_num?: number;
  with_background?: boolean;
  use_default_label?: boolean | null;
  label_list?: string;
}

export interface LoadOptions {
  /** replaces dataset_dir (e.g. a CLI flag pointing at another copy) */
  datasetDirOverride?: string;
  onBadSample?: BadSamplePolicy;
  /** one line per warning; default: stderr */
  warn?: (line: string) => void;
}

export interface DatasetContents {
  records: DataRecord[];
  /** class names by class id; with_background puts 'background' at 0 */
  labels: string[];
  /** records were skipped under on_bad_sample: skip */
  skipped: number;
}

export const defaultWarn = (line: string): void => void process.stderr.write(`slimprune: warning: ${line}\n`);

export abstract class DataSet {
  readonly datasetDir: string;
  readonly imageDir: string;
  readonly annoPath: string | null;
  readonly sampleNum: number;
  readonly withBackground: boolean;

  constructor(
    readonly fields: DatasetFields,
    opts: LoadOptions = {},
  ) {
    this.datasetDir = opts.datasetDirOverride ?? fields.dataset_dir ?? '';
    this.imageDir = fields.image_dir ?? '';
    this.annoPath = fields.anno_path ?? null;
    this.sampleNum = fields.sample_num ?? -1;
    this.withBackground = fields.with_background ?? true;
  }

  abstract load(opts?: LoadOptions): DatasetContents;

  /** dataset_dir joined with p (p absolute: p). */
  protected resolve(...parts: string[]): string {
    return path.resolve(this.datasetDir, ...parts);
  }

  protected requireFile(file: string, what: string): void {
    if (!fs.existsSync(file)) {
      const dirNote = this.datasetDir && !fs.existsSync(path.resolve(this.datasetDir)) ? ` (dataset_dir ${this.datasetDir} does not exist)` : '';
      throw new DataError(`${what} ${file} not found${dirNote}`);
    }
  }
}

/** Applies on_bad_sample to one failure while listing: throw, or warn and go on. */
export function badSampleHandler(opts: LoadOptions): { handle(e: BadSampleError): void; count(): number } {
  const policy = opts.onBadSample ?? 'error';
  const warn = opts.warn ?? defaultWarn;
  let n = 0;
  return {
    handle(e) {
      if (policy === 'error') throw e;
      n++;
      warn(`skipping ${e.file}: ${e.problem}`);
    },
    count: () => n,
  };
}
