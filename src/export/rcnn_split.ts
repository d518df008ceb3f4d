/**
 * The two halves of an R-CNN graph that ONNX can express, cut where slimprune's forward computes
 * the RoIs mid-way (generate_proposals has no ONNX op):
 *
 *   stage 1   image -> backbone (res2..res4) -> res4, rpn_cls_score, rpn_bbox_pred
 *   stage 2   res4, rois, rois_batch -> roi_align -> res5 -> cls_score, bbox_pred (+ mask_fcn_logits)
 *
 * `subgraph` copies the nodes a set of outputs needs, starting from the given values as inputs
 * (a value may be renamed on the way, so that res4 is called res4 in both files). The copies
 * share the source's parameter tensors: the pieces are written out, never run or disposed.
 */
import { Graph } from '../graph/graph';
import type { Dims, Node } from '../graph/types';
import type { RcnnValues } from '../nn';
import { ExportError } from './bn_fold';

export interface SubgraphSpec {
  /** source value -> shape it takes as an input of the piece */
  inputs: Record<string, Dims>;
  /** source values the piece returns */
  outputs: string[];
  /** source value -> name in the piece */
  rename?: Record<string, string>;
}

/** The nodes of `src` between `spec.inputs` and `spec.outputs`, as a graph of its own (see the file comment). */
export function subgraph(src: Graph, spec: SubgraphSpec): Graph {
  const name = (v: string) => spec.rename?.[v] ?? v;
  const isInput = (v: string) => Object.prototype.hasOwnProperty.call(spec.inputs, v);
  const needed = new Set<Node>();
  const stack = [...spec.outputs];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v) || isInput(v)) continue;
    seen.add(v);
    const p = src.producer(v);
    if (!p) throw new ExportError(`export: expected ${v} to be computed from ${Object.keys(spec.inputs).join(', ')}, got the graph input ${v} on its path`);
    needed.add(p);
    stack.push(...p.inputs);
  }
  const g = new Graph();
  for (const [v, shape] of Object.entries(spec.inputs)) g.addInput(name(v), shape);
  for (const n of src.nodes) {
    if (!needed.has(n)) continue;
    for (const p of Object.values(n.params)) if (!g.params.has(p)) g.params.set(p, src.param(p));
    g.addNode({ id: n.id, type: n.type, inputs: n.inputs.map(name), outputs: n.outputs.map(name), attrs: structuredClone(n.attrs), params: n.params });
  }
  g.outputs = spec.outputs.map(name);
  return g;
}

/** The value names the exported files use. */
export const RCNN_ONNX_NAMES = {
  image: 'image', feature: 'res4', rpnCls: 'rpn_cls_score', rpnBbox: 'rpn_bbox_pred',
  rois: 'rois', roisBatch: 'rois_batch', clsProb: 'cls_prob', bboxPred: 'bbox_pred', maskProb: 'mask_prob',
} as const;

/** Stage 1 and stage 2 of a (folded) R-CNN graph; stage 2's cls_score / mask_fcn_logits become probabilities in the ONNX writer. */
export function splitRcnn(g: Graph, v: RcnnValues): { stage1: Graph; stage2: Graph } {
  const N = RCNN_ONNX_NAMES;
  const rename = { [v.res4]: N.feature, [v.rpnCls]: N.rpnCls, [v.rpnBbox]: N.rpnBbox, [v.rois]: N.rois, [v.roisBatch]: N.roisBatch, [v.bboxPred]: N.bboxPred };
  const stage1 = subgraph(g, { inputs: { [v.image]: g.shapeOf(v.image) }, outputs: [v.res4, v.rpnCls, v.rpnBbox], rename });
  const stage2 = subgraph(g, {
    inputs: { [v.res4]: g.shapeOf(v.res4), [v.rois]: g.shapeOf(v.rois), [v.roisBatch]: g.shapeOf(v.roisBatch) },
    outputs: [v.clsScore, v.bboxPred, ...(v.maskLogits ? [v.maskLogits] : [])],
    rename,
  });
  return { stage1, stage2 };
}
