/**
 * Inference-graph rewrite: every batch_norm / affine_channel whose input is the output of a
 * conv2d read by nothing else is folded into that conv with the engine's bn_fold kernel, so
 * the exported graph is conv (+ bias) followed directly by its activation, the pair runtimes
 * fuse. Eval-mode batch norm is y = (x - mean) * scale / sqrt(var + eps) + offset, an affine
 * map per channel, so the fold is exact up to float rounding. Affine channel (y = x * scale +
 * bias) folds as a batch norm with mean 0, variance 1 and eps 0.
 *
 * The folded conv keeps its node id and weight name and writes the norm's output value (so
 * every consumer is unchanged); its bias takes the conv's own bias name, else the norm's
 * offset (bias) name. The result is a new Graph owning copies of every parameter tensor: the
 * source graph is left as it was.
 */
import { bnFold } from '../backend/op/norm';
import { Tensor } from '../backend/tensor';
import { Graph } from '../graph/graph';
import type { Node, Param } from '../graph/types';

export class ExportError extends Error {
  override name = 'ExportError';
}

export interface FoldResult {
  graph: Graph;
  /** norm node id -> conv node id it was folded into */
  folded: Map<string, string>;
}

function tensorOf(p: Param): Tensor {
  if (!p.tensor) throw new ExportError(`export: expected data for parameter ${p.name}, got none (load weights first)`);
  return p.tensor;
}

/** The norm nodes that can be folded, by the id of the conv before them. */
export function foldablePairs(g: Graph): Map<string, Node> {
  const pairs = new Map<string, Node>();
  for (const n of g.nodes) {
    if (n.type !== 'batch_norm' && n.type !== 'affine_channel') continue;
    const x = n.inputs[0];
    const prod = g.producer(x);
    if (!prod || prod.type !== 'conv2d' || g.outputs.includes(x) || g.consumers(x).length !== 1) continue;
    pairs.set(prod.id, n);
  }
  return pairs;
}

/** A copy of `src` with norms folded into their convs (see the file comment). */
export function foldNorms(src: Graph): FoldResult {
  const g = new Graph();
  for (const i of src.inputs) g.addInput(i, src.shapeOf(i));
  const pairs = foldablePairs(src);
  const skip = new Set([...pairs.values()].map((n) => n.id));
  const folded = new Map<string, string>();
  const copyParam = (name: string) => {
    const p = src.param(name);
    if (!g.params.has(name)) g.addParam({ ...p, shape: [...p.shape], init: { ...p.init }, tensor: tensorOf(p).clone() });
    return name;
  };
  const created: Tensor[] = [];
  try {
    for (const n of src.nodes) {
      if (skip.has(n.id)) continue;
      const norm = pairs.get(n.id);
      if (!norm) {
        const params = Object.fromEntries(Object.entries(n.params).map(([role, name]) => [role, copyParam(name)]));
        g.addNode({ id: n.id, type: n.type, inputs: n.inputs, outputs: n.outputs, attrs: structuredClone(n.attrs), params });
        continue;
      }
      const wp = src.param(n.params.weight);
      const bp = n.params.bias ? src.param(n.params.bias) : null;
      const w = tensorOf(wp);
      const OC = wp.shape[0];
      let r: { w: Tensor; b: Tensor };
      let biasName: string;
      if (norm.type === 'batch_norm') {
        const P = (role: string) => tensorOf(src.param(norm.params[role]));
        const eps = typeof norm.attrs.epsilon === 'number' ? norm.attrs.epsilon : 1e-5;
        r = bnFold(w, bp ? tensorOf(bp) : null, P('scale'), P('offset'), P('mean'), P('variance'), eps);
        biasName = bp?.name ?? norm.params.offset;
      } else {
        const zeros = Tensor.from(new Float32Array(OC), [OC], w.backend);
        const ones = Tensor.from(new Float32Array(OC).fill(1), [OC], w.backend);
        created.push(zeros, ones);
        r = bnFold(w, bp ? tensorOf(bp) : null, tensorOf(src.param(norm.params.scale)), tensorOf(src.param(norm.params.bias)), zeros, ones, 0);
        biasName = bp?.name ?? norm.params.bias;
      }
      g.addParam({ ...wp, shape: [...wp.shape], init: { ...wp.init }, tensor: r.w });
      g.addParam({ name: biasName, shape: [OC], init: { type: 'constant', value: 0 }, trainable: false, decay: 'none', tensor: r.b });
      g.addNode({ id: n.id, type: 'conv2d', inputs: n.inputs, outputs: norm.outputs, attrs: structuredClone(n.attrs), params: { weight: wp.name, bias: biasName } });
      folded.set(norm.id, n.id);
    }
  } catch (e) {
    g.dispose();
    throw e;
  } finally {
    for (const t of created) t.dispose();
  }
  g.outputs = [...src.outputs];
  return { graph: g, folded };
}
