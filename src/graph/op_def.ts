/**
 * What an op type is to the graph: one OpDef per type, registered in src/graph/ops/index.ts.
 *
 * - inferShape: output shapes from input shapes, parameter shapes and attrs (no data). Used by
 *   the builder as nodes are added, by the pruner after it rewrites shapes, and by the executor.
 * - forward: output tensors from input tensors and parameter tensors, in train or eval mode;
 *   may stash tensors for its backward (ctx.save), e.g. batch-norm batch statistics.
 * - backward: gradients of the inputs (and of trainable params) given the outputs' gradients.
 *   `saves` declares which forward inputs/outputs backward reads, so the executor keeps exactly
 *   those alive and frees every other activation as soon as forward is done with it.
 *
 * A new op is one file exporting an OpDef plus one line in the table.
 */
import type { PreparedWeights } from '../backend/prepared';
import type { Backend } from '../backend/backend';
import type { Tensor } from '../backend/tensor';
import type { Attrs, Dims, Node } from './types';

export interface ShapeCtx {
  node: Node;
  attrs: Attrs;
  inputs: Dims[];
  /** role -> shape of the parameter bound to that role */
  params: Record<string, Dims>;
}

export interface ForwardCtx {
  node: Node;
  attrs: Attrs;
  inputs: Tensor[];
  params: Record<string, Tensor>;
  training: boolean;
  backend: Backend<any>;
  /** kept filter copies for inference (ForwardOptions.prepared); convolutions pass theirs to the op */
  prepared?: PreparedWeights | null;
  /** true when a backward pass will follow: stash what backward needs with save() */
  recording: boolean;
  save(key: string, t: Tensor): void;
}

export interface BackwardCtx {
  node: Node;
  attrs: Attrs;
  /** forward inputs; only those listed in `saves.inputs` are present */
  inputs: Array<Tensor | undefined>;
  inputShapes: Dims[];
  /** forward outputs; only those listed in `saves.outputs` are present */
  outputs: Array<Tensor | undefined>;
  outputShapes: Dims[];
  params: Record<string, Tensor>;
  saved: Record<string, Tensor>;
  /** gradient of each output; null where no gradient flows into it (treat as zero) */
  dOutputs: Array<Tensor | null>;
  training: boolean;
  backend: Backend<any>;
  needInput(i: number): boolean;
  needParam(role: string): boolean;
}

export interface BackwardResult {
  /** per input: its gradient, or null/undefined when not needed */
  inputs?: Array<Tensor | null | undefined>;
  /** role -> gradient of that param */
  params?: Record<string, Tensor>;
}

export type SaveList = number[] | 'all';

export interface OpDef {
  type: string;
  /** parameter roles: required ones must be bound, optional ones may be */
  paramRoles?: { required: string[]; optional?: string[] };
  inferShape(ctx: ShapeCtx): Dims[];
  forward(ctx: ForwardCtx): Tensor[];
  /** absent: the op is not differentiable (gradients stop here) */
  backward?(ctx: BackwardCtx): BackwardResult;
  saves: { inputs: SaveList; outputs: SaveList };
  /** what one node's backward reads, when that depends on its attributes (default: saves) */
  savesFor?(node: Node): { inputs: SaveList; outputs: SaveList };
  /** params whose gradient this op can produce (others, e.g. BN running stats, never get one) */
  gradParams?: string[];
}
