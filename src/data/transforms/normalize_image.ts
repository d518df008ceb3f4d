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
      const src = img.data;
      for (let ch = 0; ch < img.c; ch++) {
        const m = mean[ch];
        const sd = std[ch];
        // CHW: one contiguous plane per channel; HWC: every c-th value.
        const [start, end, step] = img.chw ? [ch * plane, (ch + 1) * plane, 1] : [ch, src.length, img.c];
        for (let i = start; i < end; i += step) out[i] = ((isScale ? src[i] / 255 : src[i]) - m) / sd;
      }
      s.image = { ...img, data: out, uint8: false };
      return s;
    },
  };
}
