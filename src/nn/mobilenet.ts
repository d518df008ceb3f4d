/**
 * MobileNetV1 backbone as PaddleDetection's static MobileNet: a 3x3 stride-2 conv then 13
 * depthwise-separable blocks (3x3 depthwise conv `<name>_dw` + 1x1 pointwise `<name>_sep`),
 * each conv followed by batch norm and ReLU. Channel counts are int(c * conv_group_scale).
 * Returns the maps after conv3_2 (256 ch, stride 8), conv4_2 (512, stride 16) and conv6
 * (1024, stride 32), as the YOLOv3 head expects them (shallowest first).
 *
 * Initialisation: conv weights MSRA (Paddle's fluid MSRA default is the uniform form,
 * U(+-sqrt(6 / fan_in))); conv weights carry L2Decay(conv_decay) (0 by default: no decay),
 * norms L2Decay(norm_decay).
 */
import type { GraphBuilder } from '../graph/builder';
import { MODEL_LIMITS } from '../config/limits';
import { convNorm, modelFail, num, str, bool, type Component } from './common';

export function mobileNetV1(b: GraphBuilder, x: string, c: Component): string[] {
  const scale = num(c, 'conv_group_scale', 1);
  if (!(scale > 0 && scale <= MODEL_LIMITS.widthScale)) modelFail('MobileNet', `a number > 0 and <= ${MODEL_LIMITS.widthScale}`, 'conv_group_scale', scale);
  const normDecay = num(c, 'norm_decay', 0);
  const convDecay = num(c, 'conv_decay', 0);
  str(c, 'norm_type', 'bn', ['bn', 'sync_bn'] as const);
  if (bool(c, 'with_extra_blocks', false)) throw new Error('MobileNet: with_extra_blocks (SSD) is not available yet');
  const prefix = typeof c.weight_prefix_name === 'string' ? c.weight_prefix_name : '';
  const ch = (n: number) => Math.max(1, Math.trunc(n * scale));
  const unit = (input: string, name: string, out: number, k: number, stride: number, groups: number) =>
    convNorm(b, input, {
      name: prefix + name, out, k, stride, pad: (k - 1) / 2, groups, act: 'relu', naming: 'underscore',
      norm: 'bn', normDecay, convDecay, init: 'msra',
    });
  const sep = (input: string, name: string, f1: number, f2: number, groups: number, stride: number) => {
    const dw = unit(input, `${name}_dw`, ch(f1), 3, stride, ch(groups));
    return unit(dw, `${name}_sep`, ch(f2), 1, 1, 1);
  };
  const blocks: string[] = [];
  let y = unit(x, 'conv1', ch(32), 3, 2, 1);
  y = sep(y, 'conv2_1', 32, 64, 32, 1);
  y = sep(y, 'conv2_2', 64, 128, 64, 2);
  y = sep(y, 'conv3_1', 128, 128, 128, 1);
  y = sep(y, 'conv3_2', 128, 256, 128, 2);
  blocks.push(y);
  y = sep(y, 'conv4_1', 256, 256, 256, 1);
  y = sep(y, 'conv4_2', 256, 512, 256, 2);
  blocks.push(y);
  for (let i = 1; i <= 5; i++) y = sep(y, `conv5_${i}`, 512, 512, 512, 1);
  y = sep(y, 'conv5_6', 512, 1024, 512, 2);
  y = sep(y, 'conv6', 1024, 1024, 1024, 1);
  blocks.push(y);
  return blocks;
}
