// The CUDA backend's native concerns, on the two addons this machine can have:
//  - the release addon (build/Release): with CUDA compiled in and no usable GPU, the backend is
//    unavailable with the CUDA error as its reason and the loader falls back to the CPU; without
//    CUDA compiled in, it says so; on a GPU machine, the device round trip runs on it;
//  - the emulated addon (build-cudaemu/, `npm run build:cuda-emu`): the same CUDA source run on
//    the host: buffers, handles, sizes, out-of-memory and barrier failures as JS errors.
// Kernel results are the parity suite's job (SLIMPRUNE_BACKEND=cuda, .ci/run).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Backend } from '../../src/backend/backend';
import { KERNEL_NAMES } from '../../src/backend/kernels';
import type { CudaStorage } from '../../src/backend/cuda';
import type { CudaAddonBuilt, CudaInfo, NativeAddon } from '../../src/backend/native';

// child processes and a C++ compile run here: generous limits for a loaded machine (none asserts on time)
jest.setTimeout(120000);

const ROOT = path.join(__dirname, '..', '..');
const RELEASE = path.join(ROOT, 'build', 'Release', 'slimprune.node');
const EMULATED = path.join(ROOT, 'build-cudaemu', 'Release', 'slimprune.node');

function rawAddon(file: string): NativeAddon {
  const holder = { exports: {} as NativeAddon };
  process.dlopen(holder, file, os.constants.dlopen.RTLD_NOW);
  return holder.exports;
}

type Fresh = {
  loader: typeof import('../../src/backend/loader');
  cuda: typeof import('../../src/backend/cuda');
  tensor: typeof import('../../src/backend/tensor');
  ops: typeof import('../../src/backend/ops');
};

/**
 * Runs fn on fresh copies of the backend modules that see `addon` as the only addon and no forced
 * backend. All of it inside jest.isolateModules, with the environment set throughout: the loader
 * requires backends lazily, and those requires must land in the same fresh registry.
 */
function withLoader(addon: string, fn: (m: Fresh) => void): void {
  const saved = { addon: process.env.SLIMPRUNE_ADDON, backend: process.env.SLIMPRUNE_BACKEND };
  process.env.SLIMPRUNE_ADDON = addon;
  delete process.env.SLIMPRUNE_BACKEND;
  try {
    jest.isolateModules(() => {
      fn({
        loader: require('../../src/backend/loader'),
        cuda: require('../../src/backend/cuda'),
        tensor: require('../../src/backend/tensor'),
        ops: require('../../src/backend/ops'),
      });
    });
  } finally {
    if (saved.addon === undefined) delete process.env.SLIMPRUNE_ADDON;
    else process.env.SLIMPRUNE_ADDON = saved.addon;
    if (saved.backend !== undefined) process.env.SLIMPRUNE_BACKEND = saved.backend;
  }
}

const release = fs.existsSync(RELEASE) ? rawAddon(RELEASE) : null;
const releaseInfo: CudaInfo | null = release && typeof release.cuda === 'object' ? release.cuda.available() : null;
if (!release) console.log(`cuda: skipping the release addon's checks: ${RELEASE} is not built (npm run build:native)`);

(releaseInfo ? describe : describe.skip)('CUDA on the release addon', () => {
  const info = releaseInfo!;
  console.log(`cuda: release addon: ${JSON.stringify(info)}`);

  test('the backend is available exactly when the addon has CUDA and a device, else it gives the reason', () => {
    withLoader(RELEASE, ({ loader, cuda }) => {
      const entry = loader.listBackends().find((b) => b.name === 'cuda')!;
      expect(entry.available).toBe(info.ok);
      if (!info.built) {
        expect(info.reason).toMatch(/built without CUDA/);
        expect(entry.reason).toBe(info.reason);
      } else if (!info.ok) {
        // the CUDA runtime's own words (no device, no driver, a driver too old)
        expect(info.reason).toMatch(/^no usable CUDA device: cudaError\w+: /);
        expect(entry.reason).toBe(info.reason);
        expect(cuda.cudaUnavailableReason()).toBe(info.reason);
      } else {
        expect(info.name).toMatch(/\S/);
        expect(info.computeCapability).toMatch(/^\d+\.\d+$/);
      }
    });
  });

  test('without a usable device the loader falls back to the CPU backend and runs there', () => {
    if (info.ok) {
      console.log('cuda: a device is present here, so the fallback is not exercised');
      return;
    }
    withLoader(RELEASE, ({ loader, tensor, ops }) => {
      const b = loader.getBackend();
      expect(b.name).toBe('native');
      const y = ops.activation(tensor.Tensor.from([-1, 2], [2], b), 'relu');
      expect(Array.from(y.toArray())).toEqual([0, 2]);
      expect(() => loader.backendByName('cuda')).toThrow(/backend: 'cuda' is not available: /);
    });
  });

  test('without a usable device every cuda call is one Error saying why, never a crash', () => {
    if (info.ok || !info.built) {
      console.log(`cuda: ${info.ok ? 'a device is present' : 'no CUDA in this addon'}, so device-less calls are not exercised`);
      return;
    }
    const c = release!.cuda as CudaAddonBuilt;
    expect(() => c.alloc(4)).toThrow(/^cuda\.alloc: expected a usable CUDA device, got no usable CUDA device: /);
    expect(() => c.sync()).toThrow(/^cuda\.sync: expected a usable CUDA device/);
    expect(() => c.download(1, 1)).toThrow(/^cuda\.download: expected a live CUDA buffer handle for handle, got 1/);
    expect(() => c.kernels.axpy!(1, 2, [1], 1)).toThrow(/^axpy: expected a usable CUDA device/);
  });

  test('with CUDA built in, the addon needs neither libcuda nor libcudart (static runtime)', () => {
    if (!info.built) {
      console.log('cuda: no CUDA in this addon, nothing to link');
      return;
    }
    const r = spawnSync('readelf', ['-d', RELEASE], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`cuda: readelf is not available (${r.error?.message ?? r.stderr}); the link check is skipped`);
      return;
    }
    const needed = r.stdout.split('\n').filter((l) => l.includes('(NEEDED)'));
    expect(needed.length).toBeGreaterThan(0);
    expect(needed.filter((l) => /libcuda|libcudart/.test(l))).toEqual([]);
  });
});

const emulated = fs.existsSync(EMULATED) ? rawAddon(EMULATED) : null;
if (!emulated) console.log(`cuda: skipping the emulated addon's checks: ${EMULATED} is not built (npm run build:cuda-emu)`);

(emulated ? describe : describe.skip)('CUDA on the emulated addon', () => {
  // describe.skip still runs this body to collect its tests: no addon then, and no test reads c
  const c = emulated?.cuda as CudaAddonBuilt;

  test('it reports the emulator as its device', () => {
    const info = c.available();
    expect(info).toMatchObject({ ok: true, built: true, name: expect.stringMatching(/emulator/) });
  });

  test('alloc, upload, download and fill round-trip, and free releases the buffer', () => {
    const before = c.memory().buffers;
    const h = c.alloc(5);
    c.upload(h, Float32Array.from([1, -2, 3.5, 4, 5]));
    expect(Array.from(c.download(h, 5))).toEqual([1, -2, 3.5, 4, 5]);
    expect(Array.from(c.download(h, 2))).toEqual([1, -2]);
    c.fill(h, 3, 7);
    expect(Array.from(c.download(h, 5))).toEqual([7, 7, 7, 4, 5]);
    expect(c.memory().buffers).toBe(before + 1);
    c.free(h);
    expect(c.memory().buffers).toBe(before);
    // an empty buffer is a valid buffer
    const e = c.alloc(0);
    expect(Array.from(c.download(e, 0))).toEqual([]);
    c.free(e);
  });

  test('a freed or foreign handle is a TypeError naming the argument, never a crash', () => {
    const h = c.alloc(4);
    c.free(h);
    expect(() => c.download(h, 1)).toThrow(new TypeError(`cuda.download: expected a live CUDA buffer handle for handle, got ${h} (freed, or never allocated here)`));
    expect(() => c.free(h)).toThrow(/^cuda\.free: expected a live CUDA buffer handle for handle, got \d+ \(freed/);
    expect(() => c.upload(123456789, new Float32Array(1))).toThrow(/^cuda\.upload: expected a live CUDA buffer handle for handle, got 123456789/);
    expect(() => c.download(1.5 as number, 1)).toThrow(/^cuda\.download: expected a CUDA buffer handle for handle, got 1\.5$/);
    expect(() => c.fill('1' as unknown as number, 1, 0)).toThrow(/^cuda\.fill: expected a CUDA buffer handle for handle, got '1'$/);
    const y = c.alloc(4);
    expect(() => c.kernels.axpy!(h, y, [4], 1)).toThrow(new TypeError(`axpy: expected a live CUDA buffer handle for x, got ${h} (freed, or never allocated here)`));
    // a host array where a device buffer is expected
    expect(() => c.kernels.axpy!(new Float32Array(4) as unknown as number, y, [4], 1)).toThrow(/^axpy: expected a CUDA buffer handle for x, got a Float32Array of length 4$/);
    c.free(y);
  });

  test('wrong sizes and bad geometry get the CPU kernels\' own errors', () => {
    const x = c.alloc(4), y = c.alloc(3);
    expect(() => c.kernels.axpy!(x, y, [4], 1)).toThrow(new RangeError('axpy: expected at least 4 elements for y, got 3'));
    expect(() => c.upload(y, new Float32Array(4))).toThrow(new RangeError("cuda.upload: expected at most 3 elements (the buffer's size) for data, got 4"));
    expect(() => c.download(y, 4)).toThrow(/^cuda\.download: expected an integer in \[0, 3\] for n, got 4$/);
    expect(() => c.alloc(-1)).toThrow(/^cuda\.alloc: expected an integer in \[0, 2147483647\] for n, got -1$/);
    // the same checks and messages as the CPU kernel, from the same table
    const cpuMessage = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    const cpu = emulated!.kernels;
    const fx = new Float32Array(4), fy = new Float32Array(4);
    for (const [p, alpha] of [[[-1], 1], [[4, 1], 1], [[4], 'a']] as Array<[number[], unknown]>) {
      const want = cpuMessage(() => cpu.axpy(fx, fy, p, alpha as number));
      expect(want).not.toBe('no error');
      expect(cpuMessage(() => c.kernels.axpy!(x, y, p, alpha as number))).toBe(want);
    }
    // index buffers stay on the host and are checked there
    const g = c.alloc(6), out = c.alloc(2);
    c.upload(g, Float32Array.from([0, 1, 2, 3, 4, 5]));
    expect(() => c.kernels.gather_axis!(g, Int32Array.from([0, 3]), out, [1, 3, 1, 2])).toThrow(new RangeError('gather_axis: expected an index in [0, 3) for idx[1], got 3'));
    c.kernels.gather_axis!(g, Int32Array.from([2, 0]), out, [1, 3, 1, 2]);
    expect(Array.from(c.download(out, 2))).toEqual([2, 0]);
    for (const h of [x, y, g, out]) c.free(h);
  });

  test('out of device memory is an Error naming the step or the kernel, and the addon stays usable', () => {
    // SP_CUDA_EMU_MEM_MB caps the emulator's device memory; a child process so the cap is its own
    const script = `
      const m = { exports: {} };
      process.dlopen(m, ${JSON.stringify(EMULATED)});
      const c = m.exports.cuda, out = [];
      const t = (f) => { try { f(); out.push('ok'); } catch (e) { out.push(e.constructor.name + ': ' + e.message); } };
      t(() => c.alloc(1 << 20));
      // pool2d_backward (max) keeps each window's chosen tap in scratch (8 bytes per output): the
      // three buffers fit in 1 MiB, that scratch does not; a small call afterwards still runs
      const x = c.alloc(80000), dy = c.alloc(80000), dx = c.alloc(80000);
      c.fill(x, 80000, 1); c.fill(dy, 80000, 1);
      t(() => c.kernels.pool2d_backward(x, dy, dx, [1, 2, 200, 200, 200, 200, 1, 1, 1, 1, 0, 0, 0, 0]));
      t(() => c.kernels.pool2d_backward(x, dy, dx, [1, 2, 20, 20, 20, 20, 1, 1, 1, 1, 0, 0, 0, 0]));
      out.push(Array.from(c.download(dx, 2)).join(','));
      t(() => c.fill(dx, 4, 2));
      out.push(Array.from(c.download(dx, 2)).join(','));
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, SP_CUDA_EMU_MEM_MB: '1' }, timeout: 60000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
    expect(out[0]).toBe('Error: cuda.alloc: expected the CUDA call to succeed, got cuda alloc: cudaErrorMemoryAllocation: out of memory');
    expect(out[1]).toBe('Error: pool2d_backward: expected the CUDA call to succeed, got cuda scratch: cudaErrorMemoryAllocation: out of memory');
    expect(out.slice(2)).toEqual(['ok', '1,1', 'ok', '2,2']);
  });

  test('a barrier no thread can pass fails the launch with an error naming the kernel, not a hang', () => {
    const exe = path.join(os.tmpdir(), `sp-cuda-emu-barrier-${process.pid}`);
    const src = path.join(__dirname, 'fixtures', 'cuda_emu_barrier.cc');
    const cuda = path.join(ROOT, 'native', 'cuda');
    const cc = spawnSync('g++', ['-std=c++17', '-O0', '-DSP_CUDA_EMU', `-I${cuda}`, '-x', 'c++', src, path.join(cuda, 'runtime.cu'), path.join(cuda, 'emu', 'cuda_emu.cc'), '-o', exe], { encoding: 'utf8' });
    if (cc.error) {
      console.log(`cuda: g++ is not available (${cc.error.message}); the barrier check is skipped`);
      return;
    }
    expect(cc.stderr).toBe('');
    try {
      const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 30000 });
      expect(r.signal).toBeNull();
      expect(r.stdout.split('\n')).toEqual(['error: early_exit_kernel: cudaErrorLaunchFailure: unspecified launch failure', 'second launch ok', '']);
      expect(r.stderr).toMatch(/threads of block \(0,0,0\) wait at barriers that cannot be released/);
    } finally {
      fs.rmSync(exe, { force: true });
    }
  });

  test('the backend picks CUDA first, declines exactly the kernels this build lacks, and keeps tensors on the device', () => {
    withLoader(EMULATED, ({ loader, cuda, tensor, ops }) => {
      const b = loader.getBackend() as Backend<CudaStorage>;
      expect(b.name).toBe('cuda');
      expect(cuda.cudaUnavailableReason()).toBe('');
      for (const k of KERNEL_NAMES) expect([k, b.supports(k)]).toEqual([k, typeof c.kernels[k] === 'function']);
      const x = tensor.Tensor.from([-1, 2, -3, 4], [4], b);
      const y = ops.activation(x, 'relu');
      expect(typeof y.storage.handle).toBe('number');
      expect(Array.from(y.toArray())).toEqual([0, 2, 0, 4]);
      // storages of another backend, or freed ones, are refused before the addon sees them
      const s = b.alloc(4);
      b.free(s);
      expect(() => b.kernels.axpy(s, y.storage, Int32Array.of(4), 1)).toThrow(/^cuda axpy: expected a live cuda storage for x, got an object$/);
      expect(() => b.read(s, 1)).toThrow(/^cuda read: expected a live cuda storage for s/);
      expect(() => b.kernels.axpy(new Float32Array(4) as unknown as CudaStorage, y.storage, Int32Array.of(4), 1)).toThrow(/^cuda axpy: expected a live cuda storage for x, got Float32Array\(4\)$/);
      x.dispose();
      y.dispose();
    });
  });
});
