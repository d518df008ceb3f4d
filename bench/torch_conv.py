#!/usr/bin/env python3
"""PyTorch (cuDNN) peer of the CUDA conv bench (bench/cuda.ts): forward, input gradient and
filter gradient of conv layers on one GPU, fp32 (TF32 off), torch.backends.cudnn.benchmark on.

Input: --dir holds case.json ({"cases": [{name, N, C, H, W, OC, K, S, P, G}, ...]}) and, per case,
<name>.x.bin, <name>.w.bin, <name>.dy.bin (raw little-endian float32, NCHW and [OC, C/G, K, K]),
written by bench/cuda.ts. For each case and op the script writes its result to
<name>.<op>.bin (fwd: y, dx: dx, dw: dw) so that bench/cuda.ts can compare them with its own,
and prints one JSON object per measurement: {"case", "op", "ms", "samples"}.

Timing: one warm-up call (cuDNN picks its algorithm), then samples of enough back-to-back calls
to last about 20 ms, timed with CUDA events, until --min-iters samples and --min-ms are reached;
the median sample divided by its calls is reported.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch


def load(path, shape, dev):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(shape)).to(dev)


def time_op(fn, min_iters, min_ms):
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    per = max(1, min(200, int(20.0 / max(start.elapsed_time(end), 1e-3))))
    samples, spent = [], 0.0
    while len(samples) < min_iters or spent < min_ms:
        start.record()
        for _ in range(per):
            fn()
        end.record()
        end.synchronize()
        t = start.elapsed_time(end)
        spent += t
        samples.append(t / per)
    samples.sort()
    n = len(samples)
    return (samples[(n - 1) // 2] + samples[n // 2]) / 2, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--min-iters", type=int, default=5)
    ap.add_argument("--min-ms", type=float, default=300)
    a = ap.parse_args()
    if not a.device.startswith("cuda") or not torch.cuda.is_available():
        print(f"torch_conv: expected a CUDA device for --device, got {a.device} (cuda available: {torch.cuda.is_available()})", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    with open(os.path.join(a.dir, "case.json")) as f:
        cases = json.load(f)["cases"]
    print(f"torch_conv: torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name(dev)}", file=sys.stderr)
    for c in cases:
        n, C, H, W, OC, K, S, P, G = (c[k] for k in ("N", "C", "H", "W", "OC", "K", "S", "P", "G"))
        OH = (H + 2 * P - K) // S + 1
        base = os.path.join(a.dir, c["name"])
        x = load(base + ".x.bin", (n, C, H, W), dev)
        w = load(base + ".w.bin", (OC, C // G, K, K), dev)
        dy = load(base + ".dy.bin", (n, OC, OH, OH), dev)
        conv = lambda: torch.nn.functional.conv2d(x, w, None, S, P, 1, G)
        # aten's convolution_backward with one output at a time: what a framework calls for dx, dw
        bwd = lambda mask: torch.ops.aten.convolution_backward(dy, x, w, None, [S, S], [P, P], [1, 1], False, [0, 0], G, mask)
        ops = {
            "fwd": conv,
            "dx": lambda: bwd([True, False, False])[0],
            "dw": lambda: bwd([False, True, False])[1],
        }
        with torch.no_grad():
            for op, fn in ops.items():
                fn().detach().cpu().numpy().astype(np.float32).tofile(f"{base}.{op}.bin")
                ms, samples = time_op(fn, a.min_iters, a.min_ms)
                print(json.dumps({"case": c["name"], "op": op, "ms": ms, "samples": samples}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
