/**
 * Graphs and models free what they own: graph.dispose() / model.dispose() / `using` free every
 * parameter tensor on any backend, and the executor frees what a run allocated, errors
 * included. Building, running and dropping the demo YOLOv3 (configs/demo) in a loop keeps
 * memory flat: WASM memory never shrinks, so "flat" means it stops growing after the first
 * iteration because freed blocks are reused; on native, the JS heap after a collection.
 * Backends that are not available here are skipped with their reason.
 */
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import type { Backend } from '../../src/backend/backend';
import { backendByName, listBackends } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { wasmInternals, type WasmStorage } from '../../src/backend/wasm_backend';
import { readConfig } from '../../src/config';
import { forward } from '../../src/graph/executor';
import { Graph } from '../../src/graph/graph';
import { constant, initParams } from '../../src/graph/init';
import { buildModel, initModel } from '../../src/nn';
import { randomArray } from '../util/rng';

const DEMO = path.join(__dirname, '..', '..', 'configs', 'demo', 'yolov3_mobilenet_v1_demo.yml');
const SHAPE = [1, 3, 64, 64];
// The demo's structure (every node type, 148 nodes) with the head at 1/8 width, so a cycle is
// quick; the full-width head only adds bytes to the same allocations.
const cfg = readConfig(DEMO, ['YOLOv3Head.width_scale=0.125']) as never;

const listed = listBackends();
const avail = (name: string) => listed.find((b) => b.name === name)?.available ?? false;
for (const b of listed) if (!b.available && b.name !== 'cuda') console.log(`dispose tests: ${b.name} skipped: ${b.reason}`);
const wasmNames = ['wasm-as', 'wasm-em'].filter(avail);

/** Bytes of the WASM module's memory, and (wasm-as) the allocator's heap top. */
function wasmUsage(be: Backend<any>): { mem: number; top?: number } {
  const e = wasmInternals(be as Backend<WasmStorage>).exports()!;
  const top = typeof e.sp_heap_top === 'function' ? (e.sp_heap_top as () => number)() : undefined;
  return { mem: e.memory.buffer.byteLength, top };
}

/** Build the demo model, give it weights on `be`, run it once in eval mode, drop it. */
function cycle(be: Backend<any>, seed: number): number {
  using m = buildModel(cfg, { mode: 'eval', inputShape: SHAPE });
  initModel(m, { seed, backend: be });
  using image = Tensor.from(randomArray(SHAPE.reduce((a, b) => a * b), seed), SHAPE, be);
  const { outputs } = forward(m.graph, { image });
  const sum = m.outputs.reduce((s, o) => s + Array.from(outputs[o].toArray()).reduce((a, b) => a + Math.abs(b), 0), 0);
  for (const t of Object.values(outputs)) t.dispose();
  return sum;
}

describe('graph and model disposal', () => {
  test('graph.dispose frees every parameter tensor, keeps shapes, and may be called twice', () => {
    const be = backendByName('reference');
    const m = buildModel(cfg, { inputShape: SHAPE });
    initParams(m.graph, { seed: 3, backend: be });
    const tensors = m.graph.paramList().map((p) => p.tensor!);
    expect(tensors.length).toBeGreaterThan(50);
    m.dispose();
    expect(m.graph.paramList().every((p) => p.tensor === undefined && p.shape.length > 0)).toBe(true);
    expect(() => tensors[0].storage).toThrow(/used after dispose/);
    expect(() => m.dispose()).not.toThrow();
  });

  test('`using` disposes a graph and a model at the end of their block', () => {
    const be = backendByName('reference');
    let g!: Graph;
    let first!: Tensor;
    {
      using m = buildModel(cfg, { inputShape: SHAPE });
      initParams(m.graph, { seed: 4, backend: be });
      g = m.graph;
      first = g.paramList()[0].tensor!;
    }
    expect(g.paramList().every((p) => p.tensor === undefined)).toBe(true);
    expect(() => first.toArray()).toThrow(/used after dispose/);
    {
      using h = new Graph();
      h.addParam({ name: 'w', shape: [2], trainable: true, decay: 'none', init: constant(1) });
      initParams(h, { backend: be });
      first = h.param('w').tensor!;
    }
    expect(() => first.toArray()).toThrow(/used after dispose/);
  });
});

const dw = wasmNames.length ? describe : describe.skip;
dw('building and dropping the demo YOLOv3 keeps WASM memory flat', () => {
  for (const name of wasmNames) {
    test(`${name}: ten build/run/dispose cycles reuse the same memory`, () => {
      const be = backendByName(name);
      const sums = [cycle(be, 1), cycle(be, 1)];
      const after2 = wasmUsage(be);
      for (let i = 0; i < 8; i++) sums.push(cycle(be, 1));
      const after10 = wasmUsage(be);
      // the same model gives the same answer every time (nothing was freed while in use)
      expect(new Set(sums).size).toBe(1);
      expect(Number.isFinite(sums[0]) && sums[0] > 0).toBe(true);
      expect(after10.mem).toBe(after2.mem);
      if (after2.top !== undefined) expect(after10.top).toBe(after2.top);
    });

    test(`${name}: a forward that fails part-way frees what it allocated`, () => {
      const be = backendByName(name);
      cycle(be, 2);
      const m = buildModel(cfg, { mode: 'eval', inputShape: SHAPE });
      initModel(m, { seed: 2, backend: be });
      // 40 is not a multiple of 32: the head's upsample + concat fails after many nodes ran
      const bad = Tensor.from(randomArray(3 * 40 * 40, 5), [1, 3, 40, 40], be);
      expect(() => forward(m.graph, { image: bad }, { training: true, grad: true })).toThrow();
      const before = wasmUsage(be);
      for (let i = 0; i < 5; i++) expect(() => forward(m.graph, { image: bad }, { training: true, grad: true })).toThrow();
      const after = wasmUsage(be);
      expect(after.mem).toBe(before.mem);
      if (before.top !== undefined) expect(after.top).toBe(before.top);
      bad.dispose();
      m.dispose();
    });
  }
});

const dn = avail('native') ? describe : describe.skip;
dn('building and dropping the demo YOLOv3 keeps the JS heap flat (native)', () => {
  test('ten build/run/dispose cycles', () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const be = backendByName('native');
    const used = () => {
      gc();
      gc();
      const u = process.memoryUsage();
      return u.heapUsed + u.arrayBuffers;
    };
    cycle(be, 1);
    cycle(be, 1);
    const base = used();
    let paramBytes = 0;
    {
      using m = buildModel(cfg, { inputShape: SHAPE });
      paramBytes = m.graph.paramList().reduce((s, p) => s + 4 * p.shape.reduce((a, b) => a * b, 1), 0);
    }
    for (let i = 0; i < 10; i++) cycle(be, 1);
    // ten leaked models would hold 10x their weights; allow one model's worth of noise
    expect(used() - base).toBeLessThan(paramBytes);
  });
});
