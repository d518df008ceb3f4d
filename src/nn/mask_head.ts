/**
 * Mask R-CNN's mask head (PaddleDetection's MaskHead, C4 form: num_convs 0) on the RoIs' res5
 * features [R, 2048, 7, 7]:
 *   mask_inter_feat_i  (num_convs > 0 only) 3x3 convs of conv_dim, relu, MSRA normal fan_in conv_dim*9
 *   conv5_mask         conv2d_transpose 2x2 stride 2 to conv_dim, bias, relu: [R, conv_dim, 14, 14];
 *                      MSRA normal with fan_in = input channels * 4
 *   mask_fcn_logits    1x1 conv to num_classes, bias: [R, num_classes, 14, 14]; MSRA normal fan_in num_classes
 * Biases start at 0 with no L2 decay. Group normalisation (norm_type gn) is refused.
 */
import type { GraphBuilder } from '../graph/builder';
import { constant } from '../graph/init';
import { int, ModelError, type Component } from './common';

const msraNormal = (fanIn: number) => ({ init: { type: 'normal' as const, mean: 0, std: Math.sqrt(2 / fanIn) } });

export function maskHead(b: GraphBuilder, feat: string, c: Component, numClasses: number): string {
  if (c.norm_type !== undefined && c.norm_type !== null) throw new ModelError(`MaskHead: group normalisation (norm_type ${JSON.stringify(c.norm_type)}) is not available yet`);
  const numConvs = int(c, 'num_convs', 0);
  const convDim = int(c, 'conv_dim', 256);
  const dilation = int(c, 'dilation', 1);
  const bias = { init: constant(0), decay: 'none' as const };
  let y = feat;
  for (let i = 1; i <= numConvs; i++) {
    const name = `mask_inter_feat_${i}`;
    y = b.conv2d(y, {
      name, weightName: `${name}_w`, biasName: `${name}_b`, out: convDim, k: 3, pad: dilation, dilation, bias: true,
      weight: msraNormal(convDim * 9), biasParam: bias, act: 'relu',
    });
  }
  y = b.conv2dTranspose(y, {
    name: 'conv5_mask', weightName: 'conv5_mask_w', biasName: 'conv5_mask_b', out: convDim, k: 2, stride: 2, bias: true,
    weight: msraNormal(b.channels(y) * 4), biasParam: bias, act: 'relu',
  });
  return b.conv2d(y, {
    name: 'mask_fcn_logits', weightName: 'mask_fcn_logits_w', biasName: 'mask_fcn_logits_b', out: numClasses, k: 1, pad: 0, bias: true,
    weight: msraNormal(numClasses), biasParam: bias,
  });
}
