/** Permute: HWC -> CHW (channel_first), then RGB -> BGR (to_bgr) by reversing the channels. */
import { bool, type OpConfig, type SampleOp } from './op';

export function permute(cfg: OpConfig): SampleOp {
  const toBgr = bool(cfg, 'to_bgr');
  const channelFirst = bool(cfg, 'channel_first');
  return {
    kind: 'sample',
    name: 'Permute',
    apply(s) {
      let img = s.image!;
      const { h, w, c } = img;
      if (channelFirst && !img.chw) {
        const out = new Float32Array(img.data.length);
        const plane = h * w;
        for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[ch * plane + p] = img.data[p * c + ch];
        img = { ...img, data: out, chw: true };
      }
      if (toBgr) {
        if (!img.chw) throw new Error('Permute: to_bgr needs channel_first: true (channels are swapped on the CHW image)');
        const plane = h * w;
        const out = new Float32Array(img.data.length);
        for (let ch = 0; ch < c; ch++) out.set(img.data.subarray((c - 1 - ch) * plane, (c - ch) * plane), ch * plane);
        img = { ...img, data: out };
      }
      s.image = img;
      return s;
    },
  };
}
