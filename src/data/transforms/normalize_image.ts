/**
 * NormalizeImage: (img / 255 if is_scale) - mean, / std, per channel. is_channel_first says
 * the layout the config expects at this point; a mismatch with the actual image is an error
 * rather than a silent wrong broadcast.
 */
import { bool, nums, type OpConfig, type SampleOp } from './op';

export function normalizeImage(cfg: OpConfig): SampleOp {
  const mean = nums(cfg, 'mean', 3);
  const std = nums(cfg, 'std', 3);
  const isScale = bool(cfg, 'is_scale');
  const channelFirst = bool(cfg, 'is_channel_first');
  if (std.some((v) => v === 0)) throw new Error(`NormalizeImage: std must not contain 0, got ${JSON.stringify(std)}`);
  return {
    kind: 'sample',
    name: 'NormalizeImage',
    apply(s) {
      const img = s.image!;
      if (img.chw !== channelFirst) {
        throw new Error(`NormalizeImage: is_channel_first is ${channelFirst} but the image is ${img.chw ? 'CHW' : 'HWC'} at this point (Permute ${img.chw ? 'comes before' : 'comes after'} it)`);
      }
      const out = new Float32Array(img.data.length);
      const plane = img.h * img.w;
      for (let i = 0; i < out.length; i++) {
        const ch = img.chw ? Math.floor(i / plane) : i % img.c;
        const v = isScale ? img.data[i] / 255 : img.data[i];
        out[i] = (v - mean[ch]) / std[ch];
      }
      s.image = { ...img, data: out, uint8: false };
      return s;
    },
  };
}
