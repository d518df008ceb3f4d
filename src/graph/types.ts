/**
 * The static graph's data model: values (named activations, shape NCHW or [rows, cols]),
 * parameters (named tensors with shape, init spec, trainability and decay kind) and nodes
 * (one op each: type, input value names, output value names, attributes, and the parameters
 * it reads by role, e.g. {weight: 'conv1_weights'}).
 *
 * Parameters are separate from values because their names are the public contract
 * (checkpoints, --print_params, --pruned_params) while value names are internal. A node's
 * output channel count lives in its parameter shapes (conv weight axis 0), never in attrs,
 * so a pruner changes one shape and re-runs shape inference.
 */
import type { Tensor } from '../backend/tensor';

export type Dims = number[];

/** How a parameter is initialised; resolved to concrete numbers when the model is built. */
export type InitSpec =
  | { type: 'constant'; value: number }
  | { type: 'normal'; mean: number; std: number }
  | { type: 'uniform'; low: number; high: number };

/** Which L2 decay applies: 'weight' (the optimizer's factor), 'norm' (norm_decay), 'none'. */
export type DecayKind = 'weight' | 'norm' | 'none';

export interface Param {
  name: string;
  shape: Dims;
  init: InitSpec;
  /** false for BN running statistics and frozen params: no gradient, no optimizer update */
  trainable: boolean;
  decay: DecayKind;
  /**
   * The L2 coefficient the model fixes for this parameter (Paddle's per-parameter regularizer,
   * e.g. a component's norm_decay or conv_decay). Absent: 'weight' params take the optimizer's
   * factor, 'norm' and 'none' params get 0.
   */
  l2?: number;
  /** the data, once initialised or loaded (on any backend) */
  tensor?: Tensor;
}

export type AttrValue = number | string | boolean | number[] | null;
export type Attrs = Record<string, AttrValue>;

export interface Node {
  /** unique within the graph */
  id: string;
  type: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
  /** role -> parameter name (weight, bias, scale, offset, mean, variance) */
  params: Record<string, string>;
}

export interface ValueInfo {
  name: string;
  shape: Dims;
  /** id of the node producing it; undefined for graph inputs */
  producer?: string;
}
