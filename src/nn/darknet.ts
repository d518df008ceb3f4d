/**
 * DarkNet-53 backbone as PaddleDetection's static DarkNet: `yolo_input` (3x3, 32),
 * `yolo_input.downsample` (3x3 stride 2, 64), then five stages of [1, 2, 8, 8, 4] residual
 * blocks `stage.{i}.{j}` (1x1 conv `.0` to 32*2^i channels, 3x3 conv `.1` back to twice that,
 * added to the block input), each stage but the last followed by `stage.{i}.downsample`
 * (3x3 stride 2, doubling channels). Every conv: batch norm + leaky ReLU 0.1, dotted names
 * (`stage.0.0.0.conv.weights`, `.bn.scale`, `.bn.offset`, `.bn.mean`, `.bn.var`).
 * Returns the outputs of every stage (stride 2 .. 32); YOLOv3 uses the last three.
 * Conv weights: Paddle's default conv init N(0, sqrt(2 / (k*k*C_in))).
 * opts.channelScale (not a config field; for tiny test and custom models) multiplies every
 * channel count, as MobileNet's conv_group_scale does.
 */
import type { GraphBuilder } from '../graph/builder';
import { convNorm, int, num, str, type Component } from './common';

export function darkNet(b: GraphBuilder, x: string, c: Component, opts: { channelScale?: number } = {}): string[] {
  const w = (n: number) => Math.max(1, Math.trunc(n * (opts.channelScale ?? 1)));
  int(c, 'depth', 53, [53]);
  str(c, 'norm_type', 'bn', ['bn', 'sync_bn'] as const);
  const normDecay = num(c, 'norm_decay', 0);
  const prefix = typeof c.weight_prefix_name === 'string' ? c.weight_prefix_name : '';
  const unit = (input: string, name: string, out: number, k: number, stride = 1) =>
    convNorm(b, input, { name: prefix + name, out, k, stride, pad: (k - 1) / 2, act: 'leaky_relu', alpha: 0.1, naming: 'dotted', norm: 'bn', normDecay });
  const stages = [1, 2, 8, 8, 4];
  let y = unit(x, 'yolo_input', w(32), 3);
  y = unit(y, 'yolo_input.downsample', w(64), 3, 2);
  const blocks: string[] = [];
  stages.forEach((count, i) => {
    const ch = w(32 * 2 ** i);
    for (let j = 0; j < count; j++) {
      const name = `stage.${i}.${j}`;
      const c1 = unit(y, `${name}.0`, ch, 1);
      const c2 = unit(c1, `${name}.1`, ch * 2, 3);
      y = b.add(y, c2, { name: `${prefix}${name}.add` });
    }
    blocks.push(y);
    if (i < stages.length - 1) y = unit(y, `stage.${i}.downsample`, ch * 4, 3, 2);
  });
  return blocks;
}
