/**
 * Broken datasets written to a temp folder: each kind of bad sample stops the reader with one
 * line naming the file (on_bad_sample: error, the default) or is skipped with one warning
 * line naming it (skip).
 */
import * as fs from 'fs';
import * as path from 'path';
import { createReader } from '../../src/data/reader';
import { DataError } from '../../src/data/errors';
import { tmpDir, vocReader, vocXml, writeImage, writeVoc } from './helpers';

let dir: string;
const line = (stem: string) => `JPEGImages/${stem}.jpg Annotations/${stem}.xml`;

beforeAll(async () => {
  dir = tmpDir('bad');
  await writeVoc(
    dir,
    [
      { stem: 'good1', w: 40, h: 30, objects: [{ name: 'a', box: [2, 2, 20, 20] }] },
      { stem: 'good2', w: 40, h: 30, objects: [{ name: 'b', box: [5, 5, 30, 25] }] },
      { stem: 'garbled', w: 40, h: 30, objects: [], xml: '<annotation><size><width>40</wid' },
      { stem: 'empty', w: 40, h: 30, objects: [] },
      { stem: 'outside', w: 40, h: 30, objects: [{ name: 'a', box: [100, 100, 120, 120] }] },
      { stem: 'truncated', w: 40, h: 30, objects: [{ name: 'a', box: [2, 2, 20, 20] }] },
      { stem: 'unknown', w: 40, h: 30, objects: [{ name: 'zebra', box: [2, 2, 20, 20] }] },
    ],
    ['a', 'b'],
  );
  // missing: an XML without its image
  fs.writeFileSync(path.join(dir, 'Annotations', 'missing.xml'), vocXml(40, 30, [{ name: 'a', box: [1, 1, 9, 9] }]));
  const jpg = path.join(dir, 'JPEGImages', 'truncated.jpg');
  await writeImage(jpg, 40, 30, 3);
  const bytes = fs.readFileSync(jpg);
  fs.writeFileSync(jpg, bytes.subarray(0, Math.floor(bytes.length / 2)));
  for (const bad of ['missing', 'garbled', 'empty', 'outside', 'truncated', 'unknown']) {
    fs.writeFileSync(path.join(dir, `${bad}.txt`), [line('good1'), line(bad), line('good2')].join('\n') + '\n');
  }
  fs.writeFileSync(path.join(dir, 'all.txt'), ['good1', 'missing', 'garbled', 'empty', 'outside', 'truncated', 'good2'].map(line).join('\n') + '\n');
});

async function drain(list: string, opts: { onBadSample?: 'skip' | 'error'; workerNum?: number; warn?: (l: string) => void } = {}) {
  const r = createReader(vocReader(dir, {}, list), { mode: 'eval', seed: 1, workerNum: opts.workerNum ?? 0, onBadSample: opts.onBadSample, warn: opts.warn ?? (() => undefined) });
  const ids: number[] = [];
  try {
    for await (const b of r.batches()) ids.push(...b.imId);
  } finally {
    await r.close();
  }
  return ids;
}

async function errorOf(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('on_bad_sample: error (default) names the file and the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['missing', /bad sample .*JPEGImages[/\\]missing\.jpg: image file not found/],
    ['garbled', /bad sample .*garbled\.xml: malformed XML/],
    ['empty', /bad sample .*empty\.xml: annotation has no <object>/],
    ['outside', /bad sample .*outside\.xml: no valid box left after clipping/],
    ['unknown', /bad sample .*unknown\.xml: object 1: class "zebra" is not in the label list/],
    ['truncated', /batch 0: bad sample .*truncated\.jpg: cannot decode image \((.*premature end|corrupt or truncated image data)/i],
  ];
  test.each(cases)('%s', async (name, re) => {
    const e = await errorOf(() => drain(`${name}.txt`));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(re);
    expect(e.message).not.toMatch(/\n/);
  });
});

test('skip: one warning per bad file, the good samples still load', async () => {
  const warnings: string[] = [];
  const ids = await drain('all.txt', { onBadSample: 'skip', warn: (l) => warnings.push(l) });
  expect(ids).toHaveLength(2);
  for (const bad of ['missing.jpg', 'garbled.xml', 'empty.xml', 'outside.xml', 'truncated.jpg']) {
    expect(warnings.filter((w) => w.startsWith('skipping ') && w.includes(bad))).toHaveLength(1);
  }
  // the dropped box of 'outside' is reported once as well
  expect(warnings.filter((w) => w.includes('outside.xml') && w.includes('dropping object 1'))).toHaveLength(1);
});

test('an image whose size differs from its annotation is read at its real size, with a warning', async () => {
  const d = tmpDir('size');
  await writeVoc(d, [{ stem: 'x', w: 40, h: 30, objects: [{ name: 'a', box: [2, 2, 20, 20] }], xml: vocXml(50, 30, [{ name: 'a', box: [2, 2, 20, 20] }]) }], ['a']);
  const warnings: string[] = [];
  const r = createReader(vocReader(d), { mode: 'eval', seed: 0, warn: (l) => warnings.push(l) });
  for await (const b of r.batches()) expect(b.imSize).toEqual([[30, 40]]);
  expect(warnings).toEqual([expect.stringMatching(/x\.jpg: the annotation says 50x30, the image is 40x30/)]);
});

test('a bad image met inside a worker thread surfaces as one error in the consumer', async () => {
  const e = await errorOf(() => drain('truncated.txt', { workerNum: 1 }));
  expect(e).toBeInstanceOf(DataError);
  expect(e.message).toMatch(/truncated\.jpg: cannot decode image/);
  expect(e.message).not.toMatch(/\n/);
});
