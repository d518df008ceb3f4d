/**
 * ResNet backbones as PaddleDetection's static ResNet (depth 18, 34, 50, 101; variants a-d):
 * - stem: variant a/b one 7x7 stride-2 conv `conv1` (norm `bn_conv1`); c/d three 3x3 convs
 *   `conv1_1` (stride 2), `conv1_2`, `conv1_3` (norms `bn1_1` ...); then 3x3 stride-2 max pool;
 * - stages 2..5 of basic blocks (18/34: two 3x3 convs) or bottlenecks (50+: 1x1, 3x3, 1x1 x4),
 *   named res{stage}{a, b, ...} (res4a, res4b1 .. res4b22 when a stage has more than 10),
 *   convs `<block>_branch2a/b/c`, shortcut `<block>_branch1` when channels or stride change
 *   (and, for depth < 50, on the first block); weights `<conv>_weights`, norms `bn<conv minus
 *   "res">_scale/_offset` (+ `_mean/_variance` for batch norm);
 * - variant a strides the first 1x1 conv, b-d the 3x3; d average-pools (2x2, stride 2, ceil)
 *   before a stride-1 shortcut conv except in the first stage.
 * norm_type affine_channel has no running statistics; freeze_norm makes scale and offset
 * untrainable (batch norm then uses its running statistics); freeze_at k freezes the stem and
 * stages 2..k. Returns the outputs of the stages in feature_maps, in order.
 * Conv weights: Paddle's default conv init N(0, sqrt(2 / (k*k*C_in))). lr_mult_list is not
 * modelled (every parameter learns at the base rate); dcn, non-local and GC blocks are refused.
 */
import type { GraphBuilder } from '../graph/builder';
import { bool, convNorm, int, num, str, type Component } from './common';

const DEPTHS: Record<number, number[]> = { 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3], 200: [3, 12, 48, 3] };

function featureMaps(c: Component): number[] {
  const v = c.feature_maps ?? [2, 3, 4, 5];
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || !list.length || !list.every((s) => [2, 3, 4, 5].includes(s as number))) {
    throw new Error(`ResNet: expected stages among 2, 3, 4, 5 for feature_maps, got ${JSON.stringify(v)}`);
  }
  return list as number[];
}

function refuse(c: Component, key: string, what: string): void {
  const v = c[key];
  if (Array.isArray(v) && v.length) throw new Error(`ResNet: ${what} (${key} ${JSON.stringify(v)}) is not available yet`);
}

/** What every stage of one ResNet shares: depth, variant and the conv + norm unit with its names. */
export interface ResNetParts {
  depth: number;
  variant: 'a' | 'b' | 'c' | 'd';
  prefix: string;
  unit(input: string, name: string, out: number, k: number, stride: number, act: boolean, stage: number): string;
}

/** Reads a ResNet (or ResNetC5) component into the parts its stages are built from. */
export function resNetParts(b: GraphBuilder, c: Component): ResNetParts {
  const depth = int(c, 'depth', 50, Object.keys(DEPTHS).map(Number));
  const variant = str(c, 'variant', 'b', ['a', 'b', 'c', 'd'] as const);
  const normType = str(c, 'norm_type', 'affine_channel', ['bn', 'sync_bn', 'affine_channel'] as const);
  const freezeNorm = bool(c, 'freeze_norm', true);
  const freezeAt = int(c, 'freeze_at', 2);
  const normDecay = num(c, 'norm_decay', 0);
  refuse(c, 'dcn_v2_stages', 'deformable convolution');
  refuse(c, 'nonlocal_stages', 'non-local blocks');
  refuse(c, 'gcb_stages', 'global context blocks');
  const prefix = typeof c.weight_prefix_name === 'string' ? c.weight_prefix_name : '';
  const norm = normType === 'affine_channel' ? 'affine_channel' : 'bn';
  const bnName = (name: string) => (name === 'conv1' ? `bn_${name}` : `bn${name.slice(3)}`);
  const unit = (input: string, name: string, out: number, k: number, stride: number, act: boolean, stage: number) =>
    convNorm(b, input, {
      name: prefix + name, bnName: prefix + bnName(name), out, k, stride, pad: (k - 1) >> 1, act: act ? 'relu' : null,
      naming: 'underscore', norm, normDecay, trainable: stage > freezeAt, normTrainable: !freezeNorm,
    });
  return { depth, variant, prefix, unit };
}

/** One stage (2..5) of residual blocks on `x`; its first block strides by 2 except in stage 2. */
export function resNetStage(b: GraphBuilder, x: string, stage: number, parts: ResNetParts): string {
  const { depth, variant, prefix, unit } = parts;
  const count = DEPTHS[depth][stage - 2];
  const ch = [64, 128, 256, 512][stage - 2];
  const bottleneck = depth >= 50;
  let y = x;
  for (let i = 0; i < count; i++) {
    const name = count > 10 && stage === 4 ? (i === 0 ? `res${stage}a` : `res${stage}b${i}`) : `res${stage}${String.fromCharCode(97 + i)}`;
    const stride = i === 0 && stage !== 2 ? 2 : 1;
    const isFirst = bottleneck ? stage === 2 : i === 0 && stage === 2;
    const input = y;
    let r: string;
    let chOut: number;
    if (bottleneck) {
      const [s1, s2] = variant === 'a' ? [stride, 1] : [1, stride];
      r = unit(input, `${name}_branch2a`, ch, 1, s1, true, stage);
      r = unit(r, `${name}_branch2b`, ch, 3, s2, true, stage);
      r = unit(r, `${name}_branch2c`, ch * 4, 1, 1, false, stage);
      chOut = ch * 4;
    } else {
      r = unit(input, `${name}_branch2a`, ch, 3, stride, true, stage);
      r = unit(r, `${name}_branch2b`, ch, 3, 1, false, stage);
      chOut = ch;
    }
    let short = input;
    if (b.channels(input) !== chOut || stride !== 1 || (depth < 50 && isFirst)) {
      if (variant === 'd' && !isFirst) {
        const pooled = b.pool2d(input, { type: 'avg', k: 2, stride: 2, ceilMode: true, name: `${prefix}${name}_branch1_pool` });
        short = unit(pooled, `${name}_branch1`, chOut, 1, 1, false, stage);
      } else short = unit(input, `${name}_branch1`, chOut, 1, stride, false, stage);
    }
    y = b.add(short, r, { name: `${prefix}${name}.add`, act: 'relu' });
  }
  return y;
}

export function resNet(b: GraphBuilder, x: string, c: Component): string[] {
  const parts = resNetParts(b, c);
  const maps = featureMaps(c);
  const { variant, prefix, unit } = parts;

  // stem (stage 1)
  let y = x;
  const stem: Array<[number, number, number, string]> = variant === 'c' || variant === 'd'
    ? [[32, 3, 2, 'conv1_1'], [32, 3, 1, 'conv1_2'], [64, 3, 1, 'conv1_3']]
    : [[64, 7, 2, 'conv1']];
  for (const [ch, k, s, name] of stem) y = unit(y, name, ch, k, s, true, 1);
  y = b.pool2d(y, { type: 'max', k: 3, stride: 2, pad: 1, name: `${prefix}pool1` });

  const outs: string[] = [];
  const last = Math.max(...maps);
  for (let stage = 2; stage <= last; stage++) {
    y = resNetStage(b, y, stage, parts);
    if (maps.includes(stage)) outs.push(y);
  }
  return outs;
}
