// The addon's cuda.free / upload / download / fill, called with missing or wrong arguments past
// the handle, on the emulated CUDA addon (build-cudaemu/, `npm run build:cuda-emu`): each is one
// error naming the argument, with what was expected and what came (undefined for a missing one),
// and the buffer is untouched. Skipped with the reason when the emulated addon is not built.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CudaAddonBuilt, NativeAddon } from '../../src/backend/native';

const EMULATED = path.join(__dirname, '..', '..', 'build-cudaemu', 'Release', 'slimprune.node');

function rawAddon(file: string): NativeAddon {
  const holder = { exports: {} as NativeAddon };
  process.dlopen(holder, file, os.constants.dlopen.RTLD_NOW);
  return holder.exports;
}

const built = fs.existsSync(EMULATED);
if (!built) console.log(`cuda buffer arguments: skipping: ${EMULATED} is not built (npm run build:cuda-emu)`);

(built ? describe : describe.skip)('cuda buffer calls with missing or wrong arguments', () => {
  // loaded inside the block: a missing addon must not fail collection
  const c = () => rawAddon(EMULATED).cuda as CudaAddonBuilt;
  type Loose = (...a: unknown[]) => unknown;

  test('missing arguments after the handle are undefined in the message; the buffer keeps its data', () => {
    const cu = c();
    const h = cu.alloc(3);
    cu.upload(h, Float32Array.of(1, 2, 3));
    expect(() => (cu.upload as Loose)(h)).toThrow(new TypeError('cuda.upload: expected a Float32Array for data, got undefined'));
    expect(() => (cu.download as Loose)(h)).toThrow(new RangeError('cuda.download: expected an integer in [0, 3] for n, got undefined'));
    expect(() => (cu.fill as Loose)(h)).toThrow(new RangeError('cuda.fill: expected an integer in [0, 3] for n, got undefined'));
    expect(() => (cu.fill as Loose)(h, 2)).toThrow(new TypeError('cuda.fill: expected a number for value, got undefined'));
    expect(() => (cu.free as Loose)()).toThrow(new TypeError('cuda.free: expected a CUDA buffer handle for handle, got undefined'));
    expect(Array.from(cu.download(h, 3))).toEqual([1, 2, 3]);
    cu.free(h);
  });

  test('wrong values after the handle: sizes past the buffer, non-numbers', () => {
    const cu = c();
    const h = cu.alloc(2);
    expect(() => cu.upload(h, new Float32Array(3))).toThrow(new RangeError("cuda.upload: expected at most 2 elements (the buffer's size) for data, got 3"));
    expect(() => (cu.upload as Loose)(h, [1, 2])).toThrow(/^cuda\.upload: expected a Float32Array for data, got /);
    expect(() => cu.download(h, 3)).toThrow(new RangeError('cuda.download: expected an integer in [0, 2] for n, got 3'));
    expect(() => (cu.fill as Loose)(h, 1, '7')).toThrow(/^cuda\.fill: expected a number for value, got /);
    cu.fill(h, 2, 5);
    expect(Array.from(cu.download(h, 2))).toEqual([5, 5]);
    cu.free(h);
    expect(() => cu.free(h)).toThrow(/^cuda\.free: expected a live CUDA buffer handle for handle, got \d+ \(freed/);
  });
});
