/**
 * The op table: op type -> definition. A new op type is one file in this folder plus one
 * entry here.
 */
import type { OpDef } from '../op_def';
import { fail } from './attrs';
import { activations } from './activation';
import { affineChannel } from './affine_channel';
import { batchNorm } from './batch_norm';
import { concat } from './concat';
import { conv2d } from './conv2d';
import { conv2dTranspose } from './conv2d_transpose';
import { elementwiseOps } from './elementwise';
import { fc } from './fc';
import { pool2d } from './pool2d';
import { flatten, reshape } from './reshape';
import { roiAlign } from './roi_align';
import { mean, reduceSum, softmax } from './softmax';
import { split } from './split';
import { upsample } from './upsample';

const TABLE = new Map<string, OpDef>();
for (const d of [
  conv2d, conv2dTranspose, batchNorm, affineChannel, ...activations, pool2d, upsample, ...elementwiseOps,
  concat, split, flatten, reshape, fc, softmax, reduceSum, mean, roiAlign,
]) TABLE.set(d.type, d);

export const OP_TYPES = [...TABLE.keys()];

export function opDef(type: string): OpDef {
  const d = TABLE.get(type);
  if (!d) fail('graph', `an op type among ${OP_TYPES.join(', ')}`, 'node type', type);
  return d;
}

/** Registers an op type defined outside this folder (a plugin or a test). */
export function registerOp(def: OpDef): void {
  TABLE.set(def.type, def);
  if (!OP_TYPES.includes(def.type)) OP_TYPES.push(def.type);
}
