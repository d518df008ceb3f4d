/**
 * What the sensitivity tests measure on: the digits config with the shipped baseline weights,
 * evaluated on a small freshly generated digits test set (8 images at 128, the size the
 * baseline was trained at), read in the test thread (worker_num 0).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeDigitsDataset } from '../../src/data';

export const ROOT = path.resolve(__dirname, '../..');
export const DIGITS_CFG = path.join(ROOT, 'configs/yolov3_mobilenet_v1_digits.yml');
export const BASELINE = path.join(ROOT, 'demo/digits_baseline');

/** A temp dir with the dataset in `digits/`; the overrides that point the config at it. */
export async function digitsFixture(): Promise<{ dir: string; overrides: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-sens-'));
  const data = path.join(dir, 'digits');
  await writeDigitsDataset({ out: data, train: 0, test: 8, size: 128, seed: 7 });
  return { dir, overrides: [`weights=${BASELINE}`, `EvalReader.dataset.dataset_dir=${data}`, 'EvalReader.worker_num=0'] };
}
