/**
 * PadBatch: zero-pads every CHW image of a batch at the bottom and right to one size: the
 * largest height and width in the batch, rounded up to a multiple of pad_to_stride when it is
 * above 0 (so every feature map of a network with that total stride divides evenly); 0 leaves
 * the batch as it is. use_padded_im_info writes the padded height and width into im_info.
 * Boxes and polygons are untouched: padding adds pixels after the image, never before.
 */
import type { Sample } from '../types';
import { bool, num, type BatchOp, type OpConfig } from './op';

export function padBatch(cfg: OpConfig): BatchOp {
  const stride = num(cfg, 'pad_to_stride');
  const usePadded = bool(cfg, 'use_padded_im_info');
  if (cfg.pad_gt === true) throw new Error('PadBatch: pad_gt: true is not supported (the reader pads gt rows itself when packing the batch)');
  if (!Number.isInteger(stride)) throw new Error(`PadBatch: expected a whole number for pad_to_stride, got ${stride}`);
  return {
    kind: 'batch',
    name: 'PadBatch',
    apply(samples: Sample[]) {
      if (stride === 0) return samples;
      for (const s of samples) if (!s.image!.chw) throw new Error('PadBatch: expected CHW images (list Permute with channel_first: true before it)');
      let H = Math.max(...samples.map((s) => s.image!.h));
      let W = Math.max(...samples.map((s) => s.image!.w));
      if (stride > 0) {
        H = Math.ceil(H / stride) * stride;
        W = Math.ceil(W / stride) * stride;
      }
      for (const s of samples) {
        const img = s.image!;
        if (img.h !== H || img.w !== W) {
          const out = new Float32Array(img.c * H * W);
          for (let c = 0; c < img.c; c++) {
            for (let y = 0; y < img.h; y++) out.set(img.data.subarray((c * img.h + y) * img.w, (c * img.h + y + 1) * img.w), (c * H + y) * W);
          }
          s.image = { ...img, data: out, h: H, w: W };
        }
        if (usePadded) s.imInfo = [H, W, s.imInfo ? s.imInfo[2] : 1];
      }
      return samples;
    },
  };
}
