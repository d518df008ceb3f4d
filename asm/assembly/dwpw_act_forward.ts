// dwpw_act_forward: a depthwise layer and the 1x1 layer reading it, y = act2(conv1x1(act(conv2d(x,
// wd) + bd), wp) + bp); p = the depthwise layer's 16 conv integers + [act, OC2, act2]. Here the
// two fused convolutions one after the other through a scratch tensor (the same numbers as two
// conv2d_act_forward calls); the C++ kernels interleave them band by band.
import { conv2d_act_forward } from './conv2d_act_forward';
import { alloc, free } from './mem';
import { gi, outOfMemory } from './util';

export function dwpw_act_forward(x: usize, wd: usize, bd: usize, wp: usize, bp: usize, y: usize, p: usize, alpha: f32, alpha2: f32): void {
  const N = gi(p, 0), C = gi(p, 4), OH = gi(p, 7), OW = gi(p, 8);
  const mid = alloc(<usize>N * <usize>C * <usize>OH * <usize>OW * 4);
  const q = alloc(17 * 4);
  if (mid == 0 || q == 0) outOfMemory();
  // the pointwise layer's geometry: N, C, OH, OW, OC2, 1x1, OH, OW, stride 1, no padding, dilation 1, one group, act2
  for (let i = 0; i < 17; i++) store<i32>(q + (<usize>i << 2), 1);
  store<i32>(q, N);
  store<i32>(q + 4, C);
  store<i32>(q + 8, OH);
  store<i32>(q + 12, OW);
  store<i32>(q + 16, gi(p, 17));
  store<i32>(q + 28, OH);
  store<i32>(q + 32, OW);
  store<i32>(q + 44, 0);
  store<i32>(q + 48, 0);
  store<i32>(q + 64, gi(p, 18));
  conv2d_act_forward(x, wd, bd, mid, p, alpha);
  conv2d_act_forward(mid, wp, bp, y, q, alpha2);
  free(q);
  free(mid);
}
