/**
 * slimprune's own backends as benchmark implementations (`slimprune-<backend>`): the kernels of
 * the contract called directly with the backend's storages and the integer geometry, exactly as
 * the op layer calls them. Every backend that `listBackends()` finds available is taken, except
 * the float64 reference (the test oracle, far too slow to time at these sizes).
 * They are timed without the op layer's validation (src/backend/ops.ts), which runs once per
 * call in TypeScript and would only add a constant to every figure.
 * A backend with filter caches also gets a `-prepared` forward row: the convolution as models
 * run it (src/graph/replay.ts, PreparedWeights), its packed or transformed filter kept in a cache
 * from the warm-up call on, as onnxruntime keeps its prepacked weights; the plain row packs the
 * filter in every call, as the contract kernel does.
 */
import type { Backend } from '../../src/backend/backend';
import type { KernelName } from '../../src/backend/kernels';
import { backendByName, listBackends } from '../../src/backend/loader';
import { type Absent, type ConvImpl, type ConvOp, type GemmImpl, type Prepared, convGeom } from './types';

const NOT_TIMED: Record<string, string> = {
  reference: 'float64 TypeScript reference: the test oracle, not a performance path',
};

type AnyBackend = Backend<any>;

export interface SlimpruneBackends {
  /** slimprune-native first when it runs (the reference of the cross-checks) */
  backends: AnyBackend[];
  absent: Absent[];
}

/** The slimprune backends to time, with the reasons for those left out. */
export function slimpruneBackends(): SlimpruneBackends {
  const out: SlimpruneBackends = { backends: [], absent: [] };
  for (const e of listBackends()) {
    const name = `slimprune-${e.name}`;
    if (NOT_TIMED[e.name]) out.absent.push({ name, reason: NOT_TIMED[e.name] });
    else if (!e.available) out.absent.push({ name, reason: e.reason ?? 'not available' });
    else out.backends.push(backendByName(e.name));
  }
  out.backends.sort((a, b) => Number(b.name === 'native') - Number(a.name === 'native'));
  return out;
}

function withThreads(b: AnyBackend, threads: number): number {
  b.setThreads?.(threads);
  return b.getThreads?.() ?? 1;
}

function gap(b: AnyBackend, k: KernelName, p: Int32Array): { na: string } | null {
  if (!b.supports(k, p)) return { na: `the ${b.name} backend does not support ${k} with this geometry` };
  return null;
}

export function slimpruneConv(b: AnyBackend, threads: number): ConvImpl {
  const used = withThreads(b, threads);
  return {
    name: `slimprune-${b.name}`,
    threads: used,
    async prepare(c, d): Promise<Prepared<ConvOp>> {
      withThreads(b, threads);
      const p = convGeom(c);
      const ny = c.N * c.OC * c.OH * c.OW;
      const x = b.fromArray(d.x);
      const w = b.fromArray(d.w);
      const dy = b.fromArray(d.dy);
      const y = b.alloc(ny);
      const dx = b.alloc(d.x.length);
      const dw = b.alloc(d.w.length);
      const k = b.kernels;
      const out: Record<ConvOp, [unknown, number]> = { fwd: [y, ny], dx: [dx, d.x.length], dw: [dw, d.w.length] };
      return {
        ops: {
          fwd: gap(b, 'conv2d_forward', p) ?? (() => k.conv2d_forward(x, w, null, y, p)),
          dx: gap(b, 'conv2d_backward_input', p) ?? (() => k.conv2d_backward_input(dy, w, dx, p)),
          dw: gap(b, 'conv2d_backward_filter', p) ?? (() => k.conv2d_backward_filter(x, dy, dw, null, p)),
        },
        result: (op) => Float32Array.from(b.read(out[op][0], out[op][1])),
        dispose: () => [x, w, dy, y, dx, dw].forEach((s) => b.free(s)),
      };
    },
  };
}

/** The `-prepared` forward row of a backend with filter caches (see the file comment), or null. */
export function slimpruneConvPrepared(b: AnyBackend, threads: number): ConvImpl | null {
  const caches = b.filterCaches;
  if (!caches) return null;
  const used = withThreads(b, threads);
  const na = { na: 'the filter cache serves the forward convolution only' };
  return {
    name: `slimprune-${b.name}-prepared`,
    threads: used,
    note: 'forward with the filter kept packed between calls',
    async prepare(c, d): Promise<Prepared<ConvOp>> {
      withThreads(b, threads);
      const p = Int32Array.from([...convGeom(c), -1]);  // conv2d_act_forward's geometry, no activation
      const ny = c.N * c.OC * c.OH * c.OW;
      const x = b.fromArray(d.x);
      const w = b.fromArray(d.w);
      const y = b.alloc(ny);
      const cache = caches.create();
      return {
        ops: {
          fwd: gap(b, 'conv2d_act_forward', p) ?? (() => caches.conv2dAct(cache, x, w, null, y, p, 0)),
          dx: na,
          dw: na,
        },
        result: () => Float32Array.from(b.read(y, ny)),
        dispose: () => {
          caches.free(cache);
          [x, w, y].forEach((s) => b.free(s));
        },
      };
    },
  };
}

export function slimpruneGemm(b: AnyBackend, threads: number): GemmImpl {
  const used = withThreads(b, threads);
  return {
    name: `slimprune-${b.name}`,
    threads: used,
    async prepare(c, d) {
      withThreads(b, threads);
      const p = Int32Array.from([0, 0, c.n, c.n, c.n, 0]);
      const a = b.fromArray(d.a);
      const bb = b.fromArray(d.b);
      const cc = b.alloc(c.n * c.n);
      return {
        ops: { gemm: gap(b, 'gemm', p) ?? (() => b.kernels.gemm(a, bb, cc, p, 1)) },
        result: () => Float32Array.from(b.read(cc, c.n * c.n)),
        dispose: () => [a, bb, cc].forEach((s) => b.free(s)),
      };
    },
  };
}
