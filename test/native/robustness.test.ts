// Native concerns of the addon: every kind of bad argument ends in a JS error that names the
// kernel and the argument (never a crash), and the threaded kernels give bit-identical results
// for any number of threads. The bad calls run first in a child process, so a crash would show
// up as a failed child instead of taking the test runner down.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addonPaths, loadAddon, nativeLoadError } from '../../src/backend/native';
import { randomArray } from '../util/rng';

const addon = loadAddon();
const ROOT = path.join(__dirname, '..', '..');
const addonFile = addonPaths().find((f) => fs.existsSync(f));
if (!addon) console.log(`skipping native robustness tests: ${nativeLoadError()}`);
const d = addon && addonFile ? describe : describe.skip;

// Each bad call is JS source run with `K` = the kernels, `A` = the addon, `f(n)` = a zeroed
// Float32Array(n). `err` is the expected error class, `msg` the expected message.
interface Bad {
  what: string;
  call: string;
  err: 'TypeError' | 'RangeError';
  msg: RegExp;
}
const POOL = '[1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0]';
const IN_DIM = (lo: number) => `an integer in \\[${lo}, 16777216\\]`;
const BAD: Bad[] = [
  // wrong typed array types
  { what: 'Float64Array for a Float32Array', call: 'K.batch_norm_train_forward(new Float64Array(8), f(2), f(2), f(8), f(2), f(2), f(2), f(2), [1, 2, 4], 1e-5, 0.9)', err: 'TypeError', msg: /^batch_norm_train_forward: expected a Float32Array for x, got a Float64Array of length 8$/ },
  { what: 'Int32Array for a Float32Array', call: 'K.axpy(f(4), new Int32Array(4), [4], 1)', err: 'TypeError', msg: /^axpy: expected a Float32Array for y, got an Int32Array of length 4$/ },
  { what: 'Float32Array for an index buffer', call: 'K.gather_axis(f(6), f(2), f(4), [2, 3, 1, 2])', err: 'TypeError', msg: /^gather_axis: expected an Int32Array for idx, got a Float32Array of length 2$/ },
  { what: 'plain array for a buffer', call: 'K.axpy([1, 2], f(2), [2], 1)', err: 'TypeError', msg: /^axpy: expected a Float32Array for x, got an array of length 2$/ },
  { what: 'null for a required buffer', call: 'K.softmax_forward(null, f(2), [1, 2, 1])', err: 'TypeError', msg: /^softmax_forward: expected a Float32Array for x, got null$/ },
  { what: 'string for an optional buffer', call: "K.affine_channel_backward(f(4), f(4), f(2), 'dx', null, null, [1, 2, 2])", err: 'TypeError', msg: /^affine_channel_backward: expected a Float32Array or null for dx, got 'dx'$/ },
  { what: 'Proxy around a Float32Array', call: 'K.axpy(new Proxy(f(2), {}), f(2), [2], 1)', err: 'TypeError', msg: /^axpy: expected a Float32Array for x, got an object$/ },
  // values whose conversion to a string throws (never converted: described by type)
  { what: 'Symbol float attribute', call: 'K.axpy(f(1), f(1), [1], Symbol())', err: 'TypeError', msg: /^axpy: expected a number for alpha, got a Symbol$/ },
  { what: 'object with a throwing toString as a buffer', call: 'K.axpy({ toString() { throw 1; } }, f(1), [1], 1)', err: 'TypeError', msg: /^axpy: expected a Float32Array for x, got an object$/ },
  { what: 'object with a throwing valueOf in p', call: 'K.axpy(f(1), f(1), [{ valueOf() { throw 1; } }], 1)', err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got an object$/ },
  { what: 'Symbol in p', call: 'K.axpy(f(1), f(1), [Symbol("n")], 1)', err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got a Symbol$/ },
  { what: 'throwing getter in p', call: 'const p = [1]; Object.defineProperty(p, 0, { get() { throw new Error("boom"); } }); K.axpy(f(1), f(1), p, 1)', err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got an element whose getter threw$/ },
  { what: 'Proxy around an array for p', call: 'K.axpy(f(1), f(1), new Proxy([1], {}), 1)', err: 'TypeError', msg: /^axpy: expected an Int32Array or an array of integers for p, got an object$/ },
  { what: 'BigInt in p', call: 'K.axpy(f(1), f(1), [1n], 1)', err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got a BigInt$/ },
  { what: 'setThreads with a throwing toString', call: 'A.setThreads({ toString() { throw 1; } })', err: 'TypeError', msg: /^setThreads: expected a number of threads for n, got an object$/ },
  { what: 'setThreads with a Symbol', call: 'A.setThreads(Symbol())', err: 'TypeError', msg: /^setThreads: expected a number of threads for n, got a Symbol$/ },
  { what: 'setThreads with NaN', call: 'A.setThreads(NaN)', err: 'RangeError', msg: /^setThreads: expected an integer in \[0, 1024\] \(0: all cores\) for n, got NaN$/ },
  // short buffers
  { what: 'short output', call: `K.pool2d_forward(f(16), f(3), ${POOL})`, err: 'RangeError', msg: /^pool2d_forward: expected at least 4 elements for y, got 3$/ },
  { what: 'short input', call: 'K.upsample_forward(f(15), f(64), [1, 1, 4, 4, 8, 8, 0, 0])', err: 'RangeError', msg: /^upsample_forward: expected at least 16 elements for x, got 15$/ },
  { what: 'short index buffer', call: 'K.gather_axis(f(6), new Int32Array(1), f(4), [2, 3, 1, 2])', err: 'RangeError', msg: /^gather_axis: expected at least 2 elements for idx, got 1$/ },
  { what: 'short optional buffer', call: 'K.bn_fold(f(6), f(1), f(2), f(2), f(2), f(2), f(6), f(2), [2, 3], 1e-5)', err: 'RangeError', msg: /^bn_fold: expected at least 2 elements for b, got 1$/ },
  { what: 'short per-channel buffer', call: 'K.binary_forward(f(6), f(2), f(6), [1, 3, 2, 0, 1])', err: 'RangeError', msg: /^binary_forward: expected at least 3 elements for b, got 2$/ },
  { what: 'detached buffer', call: 'const b = f(4); structuredClone(b.buffer, { transfer: [b.buffer] }); K.axpy(b, f(4), [4], 1)', err: 'RangeError', msg: /^axpy: expected at least 4 elements for x, got 0$/ },
  { what: 'buffer shrunk under its view', call: 'const ab = new ArrayBuffer(16, { maxByteLength: 16 }); const t = new Float32Array(ab, 0, 4); ab.resize(4); K.axpy(t, f(4), [4], 1)', err: 'RangeError', msg: /^axpy: expected at least 4 elements for x, got [01]$/ },
  { what: 'short SharedArrayBuffer view', call: 'K.axpy(new Float32Array(new SharedArrayBuffer(4)), f(2), [2], 1)', err: 'RangeError', msg: /^axpy: expected at least 2 elements for x, got 1$/ },
  // sizes: overflow-checked products against the tensor limit
  { what: 'more than 2^31 - 1 elements', call: 'K.reduce_sum(f(4), f(4), [65536, 65536, 1])', err: 'RangeError', msg: /^reduce_sum: expected a geometry giving at most 2\^31 - 1 elements for x, got 4294967296$/ },
  { what: 'element count wrapping 64 bits', call: 'K.softmax_backward(f(17), f(14), f(48), [2147483646, 3, 2147483647])', err: 'RangeError', msg: /^softmax_backward: expected a geometry giving at most 2\^31 - 1 elements for y, got more than 2\^63$/ },
  { what: 'upsample sizes wrapping to 0', call: 'K.upsample_forward(f(0), f(0), [65536, 65536, 65536, 65536, 65536, 65536, 0, 0])', err: 'RangeError', msg: /^upsample_forward: expected a geometry giving at most 2\^31 - 1 elements for x, got 18446744073709551616|more than 2\^63$/ },
  { what: 'dimension beyond 2^24', call: 'K.batch_norm_infer_forward(f(1), f(1), f(1), f(1), f(1), f(1), [2147483647, 2147483647, 2147483647], 1e-5)', err: 'RangeError', msg: new RegExp(`^batch_norm_infer_forward: expected ${IN_DIM(0)} for N \\(p\\[0\\]\\), got 2147483647$`) },
  // geometry
  { what: 'geometry array of the wrong length', call: 'K.pool2d_forward(f(4), f(1), [1, 1, 2, 2])', err: 'RangeError', msg: /^pool2d_forward: expected 14 geometry integers for p, got 4$/ },
  { what: 'Int32Array geometry of the wrong length', call: 'K.axpy(f(2), f(2), new Int32Array(2), 1)', err: 'RangeError', msg: /^axpy: expected 1 geometry integers for p, got 2$/ },
  { what: 'fractional geometry', call: 'K.axpy(f(2), f(2), [1.5], 1)', err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got 1.5$/ },
  { what: 'geometry beyond int32', call: 'K.axpy(f(2), f(2), [2 ** 31], 1)', err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got 2147483648$/ },
  { what: 'non-number geometry entry', call: "K.axpy(f(2), f(2), ['2'], 1)", err: 'TypeError', msg: /^axpy: expected an int32 for p\[0\], got '2'$/ },
  { what: 'geometry that is not an array', call: "K.axpy(f(2), f(2), '2', 1)", err: 'TypeError', msg: /^axpy: expected an Int32Array or an array of integers for p, got '2'$/ },
  { what: 'negative dimension', call: 'K.batch_norm_infer_forward(f(4), f(2), f(2), f(2), f(2), f(4), [-1, 2, 2], 1e-5)', err: 'RangeError', msg: new RegExp(`^batch_norm_infer_forward: expected ${IN_DIM(0)} for N \\(p\\[0\\]\\), got -1$`) },
  { what: 'negative count', call: 'K.sgd_momentum(f(2), f(2), f(2), [-3], 0.1, 0.9, 0)', err: 'RangeError', msg: /^sgd_momentum: expected an integer in \[0, 2147483647\] for n \(p\[0\]\), got -3$/ },
  { what: 'zero spatial size for pooling', call: 'K.pool2d_forward(f(16), f(4), [1, 1, 0, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0])', err: 'RangeError', msg: new RegExp(`^pool2d_forward: expected ${IN_DIM(1)} for H \\(p\\[2\\]\\), got 0$`) },
  { what: 'zero stride', call: 'K.pool2d_backward(f(16), f(4), f(16), [1, 1, 4, 4, 2, 2, 2, 2, 0, 2, 0, 0, 1, 0])', err: 'RangeError', msg: new RegExp(`^pool2d_backward: expected ${IN_DIM(1)} for SH \\(p\\[8\\]\\), got 0$`) },
  { what: 'negative padding', call: 'K.pool2d_forward(f(16), f(4), [1, 1, 4, 4, 2, 2, 2, 2, 2, 2, -1, 0, 0, 0])', err: 'RangeError', msg: new RegExp(`^pool2d_forward: expected ${IN_DIM(0)} for PT \\(p\\[10\\]\\), got -1$`) },
  { what: 'pool stride beyond 2^24', call: 'K.pool2d_forward(f(16), f(100), [2, 2, 1, 4, 5, 5, 4, 32768, 4, 2 ** 30, 3, 16, 1, 1])', err: 'RangeError', msg: new RegExp(`^pool2d_forward: expected ${IN_DIM(1)} for SW \\(p\\[9\\]\\), got 1073741824$`) },
  { what: 'pool output implying a huge padding', call: 'K.pool2d_forward(f(1), f(4), [1, 1, 1, 1, 4, 1, 1, 1, 2 ** 24, 1, 0, 0, 0, 0])', err: 'RangeError', msg: /^pool2d_forward: expected OH with an implied bottom padding of at most 2\^24 for p, got OH=4 which needs 50331648$/ },
  { what: 'zero output size for upsampling', call: 'K.upsample_backward(f(4), f(4), [1, 1, 2, 2, 0, 2, 0, 0])', err: 'RangeError', msg: new RegExp(`^upsample_backward: expected ${IN_DIM(1)} for OH \\(p\\[4\\]\\), got 0$`) },
  { what: 'C not divisible by G', call: 'K.conv2d_forward(f(16), f(24), null, f(24), [1, 4, 2, 2, 6, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 3])', err: 'RangeError', msg: /^conv2d_forward: expected C and OC divisible by G for p, got C=4 OC=6 G=3$/ },
  { what: 'zero groups', call: 'K.conv2d_backward_input(f(4), f(4), f(4), [1, 1, 2, 2, 1, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 0])', err: 'RangeError', msg: new RegExp(`^conv2d_backward_input: expected ${IN_DIM(1)} for G \\(p\\[15\\]\\), got 0$`) },
  { what: 'conv stride of 2^30 (SH*SW beyond int)', call: 'K.conv2d_forward(f(1), f(2), null, f(1), [1, 1, 1, 1, 1, 2, 1, 1, 1, 2, 2 ** 30, 0, 0, 1, 1, 1])', err: 'RangeError', msg: new RegExp(`^conv2d_forward: expected ${IN_DIM(1)} for SW \\(p\\[10\\]\\), got 1073741824$`) },
  { what: 'conv dilation of 2^30 + 1', call: 'K.conv2d_forward(f(1), f(2), null, f(1), [1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 2 ** 30 + 1, 1, 1])', err: 'RangeError', msg: new RegExp(`^conv2d_forward: expected ${IN_DIM(1)} for DH \\(p\\[13\\]\\), got 1073741825$`) },
  { what: 'conv output implying a huge padding', call: 'K.conv2d_backward_filter(f(1), f(3), f(1), null, [1, 1, 1, 1, 1, 1, 1, 3, 1, 2 ** 24, 1, 0, 0, 1, 1, 1])', err: 'RangeError', msg: /^conv2d_backward_filter: expected OH with an implied bottom padding of at most 2\^24 for p, got OH=3 which needs 33554432$/ },
  { what: 'conv needing more than 1 GiB of scratch', call: 'K.conv2d_backward_filter(f(2), f(65536), f(32768), null, [1, 2, 1, 1, 2, 128, 128, 1, 32768, 1, 1, 0, 0, 1, 1, 2])', err: 'RangeError', msg: /^conv2d_backward_filter: expected a geometry needing at most 2\^30 bytes of scratch for p, got one needing 2147614720$/ },
  { what: 'channel range past the end', call: 'K.channel_copy(f(6), f(6), [1, 3, 2, 3, 0, 2, 2, 0])', err: 'RangeError', msg: /^channel_copy: expected srcOff \+ count <= srcC for p, got 2 \+ 2 > 3$/ },
  // indices
  { what: 'gather index too large', call: 'K.gather_axis(f(6), Int32Array.from([0, 5]), f(4), [2, 3, 1, 2])', err: 'RangeError', msg: /^gather_axis: expected an index in \[0, 3\) for idx\[1\], got 5$/ },
  { what: 'scatter index negative', call: 'K.scatter_add_axis(f(2), Int32Array.from([-1]), f(6), [2, 3, 1, 1])', err: 'RangeError', msg: /^scatter_add_axis: expected an index in \[0, 3\) for idx\[0\], got -1$/ },
  // argument count and float attributes
  { what: 'too few arguments', call: 'K.axpy(f(2), f(2), [2])', err: 'TypeError', msg: /^axpy: expected 4 arguments \(x, y, p, alpha\) for the call, got 3$/ },
  { what: 'too many arguments', call: 'K.reduce_sum(f(2), f(2), [1, 2, 1], 0)', err: 'TypeError', msg: /^reduce_sum: expected 3 arguments \(x, y, p\) for the call, got 4$/ },
  { what: 'no arguments', call: 'K.batch_norm_backward()', err: 'TypeError', msg: /^batch_norm_backward: expected 9 arguments \(.*\) for the call, got 0$/ },
  { what: 'string float attribute', call: "K.activation_forward(f(2), f(2), [2, 1], '0.1')", err: 'TypeError', msg: /^activation_forward: expected a number for alpha, got '0.1'$/ },
  { what: 'undefined float attribute', call: 'K.sgd_momentum(f(2), f(2), f(2), [2], 0.1, undefined, 0)', err: 'TypeError', msg: /^sgd_momentum: expected a number for momentum, got undefined$/ },
  // enums
  { what: 'activation kind', call: 'K.activation_forward(f(2), f(2), [2, 6], 0)', err: 'RangeError', msg: /^activation_forward: expected an integer in \[0, 5\] for kind \(p\[1\]\), got 6$/ },
  { what: 'activation backward kind', call: 'K.activation_backward(f(2), f(2), f(2), f(2), [2, -1], 0)', err: 'RangeError', msg: /^activation_backward: expected an integer in \[0, 5\] for kind \(p\[1\]\), got -1$/ },
  { what: 'pool kind', call: 'K.pool2d_forward(f(16), f(4), [1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 2, 0])', err: 'RangeError', msg: /^pool2d_forward: expected an integer in \[0, 1\] for kind \(p\[12\]\), got 2$/ },
  { what: 'pool exclusive flag', call: 'K.pool2d_forward(f(16), f(4), [1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 1, 7])', err: 'RangeError', msg: /^pool2d_forward: expected an integer in \[0, 1\] for exclusive \(p\[13\]\), got 7$/ },
  { what: 'upsample mode', call: 'K.upsample_forward(f(4), f(16), [1, 1, 2, 2, 4, 4, 2, 0])', err: 'RangeError', msg: /^upsample_forward: expected an integer in \[0, 1\] for mode \(p\[6\]\), got 2$/ },
  { what: 'upsample align_corners', call: 'K.upsample_forward(f(4), f(16), [1, 1, 2, 2, 4, 4, 1, 3])', err: 'RangeError', msg: /^upsample_forward: expected an integer in \[0, 1\] for align_corners \(p\[7\]\), got 3$/ },
  { what: 'binary op', call: 'K.binary_forward(f(2), f(2), f(2), [1, 1, 2, 3, 0])', err: 'RangeError', msg: /^binary_forward: expected an integer in \[0, 2\] for op \(p\[3\]\), got 3$/ },
  { what: 'binary broadcast mode', call: 'K.binary_backward(f(2), f(2), f(2), null, null, [1, 1, 2, 0, 9])', err: 'RangeError', msg: /^binary_backward: expected an integer in \[0, 2\] for bmode \(p\[4\]\), got 9$/ },
  { what: 'copy accumulate flag', call: 'K.channel_copy(f(2), f(2), [1, 1, 0, 1, 0, 1, 2, 2])', err: 'RangeError', msg: /^channel_copy: expected an integer in \[0, 1\] for accumulate \(p\[7\]\), got 2$/ },
  { what: 'gemm transpose flag', call: 'K.gemm(f(4), f(4), f(4), [0, 2, 2, 2, 2, 0], 1)', err: 'RangeError', msg: /^gemm: expected an integer in \[0, 1\] for transB \(p\[1\]\), got 2$/ },
  // convolutions on channel-blocked maps (checked before any CPU-specific rule)
  { what: 'blocked conv: too few arguments', call: 'A.conv2d_act_forward_blocked(null, f(4), f(4), null, f(4))', err: 'TypeError', msg: /^conv2d_act_forward_blocked: expected 8 arguments \(cache, x, w, b, y, p, alpha, layout\) for the call, got 5$/ },
  { what: 'blocked conv: layout 0', call: 'A.conv2d_act_forward_blocked(null, f(16), f(256), null, f(16), [1, 16, 1, 1, 16, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, -1], 0, 0)', err: 'TypeError', msg: /^conv2d_act_forward_blocked: expected 1, 2 or 3 \(bit 1: x blocked, bit 2: y blocked\) for layout, got 0$/ },
  { what: 'blocked conv: layout a string', call: "A.conv2d_act_forward_blocked(null, f(16), f(256), null, f(16), [1, 16, 1, 1, 16, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, -1], 0, '3')", err: 'TypeError', msg: /^conv2d_act_forward_blocked: expected 1, 2 or 3 \(bit 1: x blocked, bit 2: y blocked\) for layout, got '3'$/ },
  { what: 'blocked conv: not a cache', call: 'A.conv2d_act_forward_blocked({}, f(16), f(256), null, f(16), [1, 16, 1, 1, 16, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, -1], 0, 3)', err: 'TypeError', msg: /^conv2d_act_forward_blocked: expected a filter cache \(newFilterCache\(\)\) for cache, got an object$/ },
  { what: 'blocked conv: y too short', call: 'A.conv2d_act_forward_blocked(null, f(32), f(1024), null, f(31), [1, 32, 1, 1, 32, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, -1], 0, 3)', err: 'RangeError', msg: /^conv2d_act_forward_blocked: expected at least 32 elements for y, got 31$/ },
  { what: 'blockedProblem: p a plain array', call: 'A.blockedProblem([1, 2], 3)', err: 'TypeError', msg: /^blockedProblem: expected an Int32Array of 17 geometry integers for p, got an array of length 2$/ },
  // the stem + depthwise -> 1x1 chain (a stem 3 -> 8 on 160x160, one pair 8 -> 16)
  { what: 'chain: too few arguments', call: 'A.conv_chain_forward(f(1), f(1))', err: 'TypeError', msg: /^conv_chain_forward: expected 5 arguments \(x, y, w, p, f\) for the call, got 2$/ },
  { what: 'chain: w not an array', call: 'A.conv_chain_forward(f(76800), f(102400), f(6), Int32Array.from([1, 3, 160, 160, 8, 3, 3, 80, 80, 2, 2, 1, 1, 1, 1, 1, 0, 1, 8, 80, 80, 8, 3, 3, 80, 80, 1, 1, 1, 1, 1, 1, 8, 0, 16, 0]), Float32Array.of(0, 0, 0))', err: 'TypeError', msg: /^conv_chain_forward: expected an array of 6 weights \(ws, bs, then per pair wd, bd, wp, bp\) for w, got a Float32Array of length 6$/ },
  { what: 'chain: a pair that does not read the stem', call: 'A.conv_chain_forward(f(76800), f(102400), [f(216), null, f(72), null, f(128), null], Int32Array.from([1, 3, 160, 160, 8, 3, 3, 80, 80, 2, 2, 1, 1, 1, 1, 1, 0, 1, 8, 81, 80, 8, 3, 3, 81, 80, 1, 1, 1, 1, 1, 1, 8, 0, 16, 0]), Float32Array.of(0, 0, 0))', err: 'RangeError', msg: /^conv_chain_forward: expected pair 0's input \(N, C, H, W\) to be the previous layer's output \(1, 8, 80, 80\), got \(1, 8, 81, 80\)$/ },
  { what: 'chain: a filter too short', call: 'A.conv_chain_forward(f(76800), f(102400), [f(216), null, f(72), null, f(127), null], Int32Array.from([1, 3, 160, 160, 8, 3, 3, 80, 80, 2, 2, 1, 1, 1, 1, 1, 0, 1, 8, 80, 80, 8, 3, 3, 80, 80, 1, 1, 1, 1, 1, 1, 8, 0, 16, 0]), Float32Array.of(0, 0, 0))', err: 'RangeError', msg: /^conv_chain_forward: expected at least 128 elements for wp of pair 0 \(w\[4\]\), got 127$/ },
  { what: 'chain: a geometry past the tensor limit', call: 'A.conv_chain_forward(f(1), f(1), [f(1), null, f(1), null, f(1), null], Int32Array.from([65536, 3, 160, 160, 8, 3, 3, 80, 80, 2, 2, 1, 1, 1, 1, 1, 0, 65536, 8, 80, 80, 8, 3, 3, 80, 80, 1, 1, 1, 1, 1, 1, 8, 0, 16, 0]), Float32Array.of(0, 0, 0))', err: 'RangeError', msg: /^conv_chain_forward: expected a geometry giving at most 2\^31 - 1 elements per tensor for the stem, got 5033164800$/ },
  { what: 'pair: too few arguments', call: 'A.conv_wino_pw_forward(null, null, f(1))', err: 'TypeError', msg: /^conv_wino_pw_forward: expected 13 arguments \(c3, c1, x, w3, b3, y3, w1, b1, y, p3, p1, alpha3, alpha1\) for the call, got 3$/ },
  { what: 'pair: a 1x1 layer that does not read the 3x3 layer', call: 'A.conv_wino_pw_forward(null, null, f(10400), f(11934), null, f(21420), f(1326), null, f(10920), Int32Array.from([1, 26, 20, 20, 51, 3, 3, 20, 20, 1, 1, 1, 1, 1, 1, 1, 1]), Int32Array.from([1, 51, 20, 21, 26, 1, 1, 20, 21, 1, 1, 0, 0, 1, 1, 1, 1]), 0, 0)', err: 'RangeError', msg: /^conv_wino_pw_forward: expected the 1x1 layer's input \(N, C, H, W\) to be the 3x3 layer's output \(1, 51, 20, 20\), got \(1, 51, 20, 21\)$/ },
  { what: 'pair: a 3x3 filter too short', call: 'A.conv_wino_pw_forward(null, null, f(10400), f(11933), null, f(20400), f(1326), null, f(10400), Int32Array.from([1, 26, 20, 20, 51, 3, 3, 20, 20, 1, 1, 1, 1, 1, 1, 1, 1]), Int32Array.from([1, 51, 20, 20, 26, 1, 1, 20, 20, 1, 1, 0, 0, 1, 1, 1, 1]), 0, 0)', err: 'RangeError', msg: /^conv_wino_pw_forward \(3x3 layer\): expected at least 11934 elements for w, got 11933$/ },
  { what: 'convChainUsable: no arguments', call: 'A.convChainUsable()', err: 'TypeError', msg: /^convChainUsable: expected one Int32Array of 17 \+ 19k integers \(k = 1 to 4\) for p, got no arguments$/ },
  // thread control
  { what: 'setThreads with a string', call: "A.setThreads('4')", err: 'TypeError', msg: /^setThreads: expected a number of threads for n, got '4'$/ },
  { what: 'setThreads out of range', call: 'A.setThreads(-2)', err: 'RangeError', msg: /^setThreads: expected an integer in \[0, 1024\] \(0: all cores\) for n, got -2$/ },
];

d('native addon: bad arguments', () => {
  // One child process runs every bad call and reports what each threw.
  const script = `
    const A = require(${JSON.stringify(addonFile)});
    const K = A.kernels;
    const f = (n) => new Float32Array(n);
    const calls = ${JSON.stringify(BAD.map((b) => b.call))};
    const out = calls.map((src) => {
      try { new Function('A', 'K', 'f', src)(A, K, f); return { threw: false }; }
      catch (e) { return { threw: true, type: e.constructor.name, msg: e.message }; }
    });
    process.stdout.write(JSON.stringify(out));
  `;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  const results: Array<{ threw: boolean; type?: string; msg?: string }> =
    child.status === 0 ? JSON.parse(child.stdout) : [];

  test('the process survives every bad call', () => {
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(results).toHaveLength(BAD.length);
  });

  test.each(BAD.map((b, i) => [b.what, i] as const))('%s', (_what, i) => {
    const r = results[i];
    expect(r).toBeDefined();
    expect(r.threw).toBe(true);
    expect(r.type).toBe(BAD[i].err);
    expect(r.msg).toMatch(BAD[i].msg);
  });

  test('a bad call leaves the addon usable', () => {
    const K = addon!.kernels;
    expect(() => K.axpy(new Float64Array(2) as unknown as Float32Array, new Float32Array(2), [2], 1)).toThrow(/^axpy: expected a Float32Array for x/);
    const y = Float32Array.from([1, 2]);
    K.axpy(Float32Array.from([10, 20]), y, [2], 0.5);
    expect(Array.from(y)).toEqual([6, 12]);
  });

  test('absent optional buffers (null or undefined) are accepted', () => {
    const dx = new Float32Array(4);
    addon!.kernels.affine_channel_backward(new Float32Array(4), Float32Array.from([1, 2, 3, 4]), Float32Array.from([2, 3]), dx, null, undefined as unknown as null, [1, 2, 2]);
    expect(Array.from(dx)).toEqual([2, 4, 9, 12]);
  });
});

// A scratch allocation that fails (here: a data-size limit below what a legal geometry needs,
// 850 MB, in a worker of the thread pool) is an Error naming the kernel, and the addon works on.
// Not under AddressSanitizer, whose shadow memory and allocator do not run under such a limit.
const prlimit = spawnSync('prlimit', ['--version'], { encoding: 'utf8' });
const underAsan = /asan/.test(process.env.LD_PRELOAD ?? '');
if (addon && prlimit.status !== 0) console.log('skipping the allocation-failure test: prlimit (util-linux) is not installed');
if (addon && underAsan) console.log('skipping the allocation-failure test: AddressSanitizer is preloaded');
(addon && addonFile && prlimit.status === 0 && !underAsan ? describe : describe.skip)('native addon: allocation failure', () => {
  test('a failed scratch allocation throws instead of aborting', () => {
    const script = `
      const A = require(${JSON.stringify(addonFile)});
      const f = (n) => new Float32Array(n);
      A.setThreads(2);
      let msg = 'returned';
      try { A.kernels.conv2d_backward_filter(f(2), f(26000), f(32768), null, [1, 2, 1, 1, 2, 128, 128, 1, 13000, 1, 1, 0, 0, 1, 1, 2]); }
      catch (e) { msg = e.constructor.name + ': ' + e.message; }
      const y = Float32Array.from([1, 2]);
      A.kernels.axpy(Float32Array.from([1, 1]), y, [2], 1);
      process.stdout.write(JSON.stringify({ msg, y: Array.from(y) }));
    `;
    const r = spawnSync('prlimit', [`--data=${700 * 1024 * 1024}`, process.execPath, '-e', script], { encoding: 'utf8', timeout: 60000 });
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(JSON.parse(r.stdout)).toEqual({
      msg: "Error: conv2d_backward_filter: expected memory for the kernel's scratch buffers for p, got an allocation failure",
      y: [2, 3],
    });
  });
});

d('native addon: thread-count independence', () => {
  const A = addon!;
  const f32 = (n: number, seed: number) => Float32Array.from(randomArray(n, seed));
  const before = A ? A.getThreads() : 1;
  afterAll(() => A.setThreads(before));

  // Runs `run` (which returns the outputs it wrote) with 1, 2 and 3 threads; all bit-identical.
  function same(run: () => Float32Array[]): void {
    const outs = [1, 2, 3].map((t) => {
      A.setThreads(t);
      expect(A.getThreads()).toBe(t);
      return run().map((o) => Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('hex'));
    });
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[2]).toEqual(outs[0]);
  }

  test.each([
    [3, 17, 29 * 31],
    [2, 64, 7 * 7],
    [8, 3, 1],
  ])('batch_norm_train_forward and batch_norm_backward [N=%i, C=%i, HW=%i]', (N, C, HW) => {
    const n = N * C * HW;
    const x = f32(n, 1), dy = f32(n, 2), scale = f32(C, 3), bias = f32(C, 4);
    same(() => {
      const y = new Float32Array(n), sm = new Float32Array(C), si = new Float32Array(C);
      const rm = f32(C, 5), rv = Float32Array.from(randomArray(C, 6, 0.5, 2));
      A.kernels.batch_norm_train_forward(x, scale, bias, y, sm, si, rm, rv, [N, C, HW], 1e-5, 0.9);
      const dx = new Float32Array(n), ds = new Float32Array(C), db = new Float32Array(C);
      A.kernels.batch_norm_backward(x, dy, scale, sm, si, dx, ds, db, [N, C, HW]);
      return [y, sm, si, rm, rv, dx, ds, db];
    });
  });

  test.each([
    [2, 9, 33, 35, 3, 2, 1, 0, 0],
    [2, 9, 33, 35, 3, 2, 1, 1, 1],
    [1, 24, 13, 13, 5, 1, 2, 0, 0],
    [3, 5, 16, 16, 2, 2, 0, 1, 0],
  ])('pool2d forward and backward [N=%i C=%i %ix%i k%i s%i p%i kind %i excl %i]', (N, C, H, W, K, S, P, kind, excl) => {
    const OH = Math.floor((H + 2 * P - K) / S) + 1, OW = Math.floor((W + 2 * P - K) / S) + 1;
    const p = [N, C, H, W, OH, OW, K, K, S, S, P, P, kind, excl];
    const x = f32(N * C * H * W, 7), dy = f32(N * C * OH * OW, 8);
    same(() => {
      const y = new Float32Array(N * C * OH * OW), dx = new Float32Array(N * C * H * W);
      A.kernels.pool2d_forward(x, y, p);
      A.kernels.pool2d_backward(x, dy, dx, p);
      return [y, dx];
    });
  });

  test.each([
    [2, 7, 13, 11, 26, 22, 0, 0],
    [2, 7, 13, 11, 40, 33, 1, 0],
    [1, 16, 9, 9, 17, 17, 1, 1],
    [1, 5, 20, 20, 7, 9, 1, 0],
  ])('upsample forward and backward [N=%i C=%i %ix%i -> %ix%i mode %i align %i]', (N, C, H, W, OH, OW, mode, align) => {
    const p = [N, C, H, W, OH, OW, mode, align];
    const x = f32(N * C * H * W, 9), dy = f32(N * C * OH * OW, 10);
    same(() => {
      const y = new Float32Array(N * C * OH * OW), dx = new Float32Array(N * C * H * W);
      A.kernels.upsample_forward(x, y, p);
      A.kernels.upsample_backward(dy, dx, p);
      return [y, dx];
    });
  });

  test.each([
    [1, 300001, 1],
    [1000, 50, 1],
    [5, 33, 700],
    [64, 3, 300],
  ])('reduce_sum [outer=%i, len=%i, inner=%i]', (outer, len, inner) => {
    const x = f32(outer * len * inner, 11);
    same(() => {
      const y = new Float32Array(outer * inner);
      A.kernels.reduce_sum(x, y, [outer, len, inner]);
      return [y];
    });
  });

  test('binary_backward reductions (per channel and scalar) and scatter_add_axis with repeated indices', () => {
    const outer = 4, C = 33, inner = 3001, n = outer * C * inner;
    const a = f32(n, 12), dy = f32(n, 13), g = f32(outer * 40 * inner, 17);
    const idx = Int32Array.from({ length: 40 }, (_, j) => (j * 7) % 5);
    same(() => {
      const dbc = new Float32Array(C), dbs = new Float32Array(1), dx = f32(outer * 5 * inner, 14);
      A.kernels.binary_backward(a, f32(C, 15), dy, null, dbc, [outer, C, inner, 2, 1]);
      A.kernels.binary_backward(a, f32(1, 16), dy, null, dbs, [outer, C, inner, 1, 2]);
      A.kernels.scatter_add_axis(g, idx, dx, [outer, 5, inner, 40]);
      return [dbc, dbs, dx];
    });
  });
});
