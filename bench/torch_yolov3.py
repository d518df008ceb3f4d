#!/usr/bin/env python3
"""YOLOv3-MobileNetV1 (VOC, 20 classes) written in PyTorch: the model bench's CPU peer.

The network is slimprune's configs/yolov3_mobilenet_v1_voc.yml layer for layer: MobileNetV1
(3x3 s2 conv, 13 depthwise-separable blocks, conv + BN + ReLU each) feeding a YOLOv3 head
(per level: 2 x [1x1, 3x3], a 1x1 route, a 3x3 tip, a 1x1 output conv with bias, a 1x1
transition + 2x nearest upsample + concat to the next level; conv + BN + LeakyReLU(0.1)).
--widths gives the 18 head convs' output channels (yolo_block.{0,1,2}.{0.0,0.1,1.0,1.1,2,tip}),
so a channel-pruned model is the same code with smaller numbers.

Before timing, the script counts parameters (weights + BN running statistics, as
`slimprune flops` counts them) and conv multiply-adds per image, prints both next to the
figures slimprune passed in (--expect-params, --expect-macs) and exits 2 when they differ:
a peer that is not the same network is not a peer.

One op per process, so that its peak RSS is its own:
  fwd:   eval mode under torch.no_grad()
  train: train mode (batch statistics), forward, backward seeded by fixed output gradients,
         one SGD momentum step (0.9, L2 5e-4), gradients dropped (set_to_none)
Timing: one warm-up call, then calls until --min-iters and --min-ms are both reached (at most
--max-ms after the warm-up); the median is reported. Peak RSS is the kernel's high-water mark
(VmHWM), reset through /proc/self/clear_refs after the model is built, read after the last call.
--device cuda runs it on the GPU (bench/cuda.ts): cuDNN autotuning on, TF32 off (fp32 as
slimprune's CUDA backend), each call ends with a device synchronisation so that it is timed whole,
and peak_gpu_mb (the caching allocator's high-water mark) is reported instead of peak RSS.
Prints one JSON object on stdout.
"""
import argparse
import json
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

DEFAULT_WIDTHS = [c for ch in (512, 256, 128) for c in (ch, 2 * ch, ch, 2 * ch, ch, 2 * ch)]


def conv_bn(cin, cout, k, stride=1, groups=1, act="relu"):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]
    layers.append(nn.ReLU(inplace=False) if act == "relu" else nn.LeakyReLU(0.1, inplace=False))
    return nn.Sequential(*layers)


class MobileNetV1(nn.Module):
    def __init__(self):
        super().__init__()
        # (in, out, stride) of each depthwise-separable block
        spec = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
        spec += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
        self.stem = conv_bn(3, 32, 3, 2)
        self.blocks = nn.ModuleList(nn.Sequential(conv_bn(i, i, 3, s, groups=i), conv_bn(i, o, 1)) for i, o, s in spec)
        # the maps after conv3_2 (block 3), conv4_2 (block 5) and conv6 (block 12)
        self.taps = {3, 5, 12}

    def forward(self, x):
        x = self.stem(x)
        maps = []
        for i, b in enumerate(self.blocks):
            x = b(x)
            if i in self.taps:
                maps.append(x)
        return maps


class YoloHead(nn.Module):
    def __init__(self, widths, in_channels=(1024, 512, 256), num_outputs=3 * (5 + 20)):
        super().__init__()
        self.blocks = nn.ModuleList()
        self.outs = nn.ModuleList()
        self.transitions = nn.ModuleList()
        route = 0
        for i in range(3):
            w = widths[6 * i:6 * i + 6]
            cin = in_channels[i] + route
            self.blocks.append(nn.ModuleList([
                conv_bn(cin, w[0], 1, act="leaky"), conv_bn(w[0], w[1], 3, act="leaky"),
                conv_bn(w[1], w[2], 1, act="leaky"), conv_bn(w[2], w[3], 3, act="leaky"),
                conv_bn(w[3], w[4], 1, act="leaky"), conv_bn(w[4], w[5], 3, act="leaky"),
            ]))
            self.outs.append(nn.Conv2d(w[5], num_outputs, 1, bias=True))
            if i < 2:
                route = 256 >> i
                self.transitions.append(conv_bn(w[4], route, 1, act="leaky"))

    def forward(self, maps):
        outputs = []
        route = None
        for i, x in enumerate(reversed(maps)):
            if route is not None:
                x = torch.cat([route, x], 1)
            b = self.blocks[i]
            for j in range(4):
                x = b[j](x)
            r = b[4](x)
            outputs.append(self.outs[i](b[5](r)))
            if i < 2:
                route = F.interpolate(self.transitions[i](r), scale_factor=2, mode="nearest")
        return outputs


class YoloV3(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.backbone = MobileNetV1()
        self.head = YoloHead(widths)

    def forward(self, x):
        return self.head(self.backbone(x))


def count(model, size):
    """Parameters + BN running statistics, and conv multiply-adds for one image of size x size."""
    params = sum(p.numel() for p in model.parameters())
    params += sum(b.numel() for n, b in model.named_buffers() if n.endswith("running_mean") or n.endswith("running_var"))
    macs = [0]

    def hook(m, inp, out):
        macs[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hs:
        h.remove()
    return params, macs[0]


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(fn, min_iters, min_ms, max_ms):
    t0 = time.perf_counter()
    fn()
    first = (time.perf_counter() - t0) * 1e3
    samples = []
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
        spent = (time.perf_counter() - start) * 1e3
        if (len(samples) >= min_iters and spent >= min_ms) or spent + first > max_ms:
            break
    samples.sort()
    n = len(samples)
    return (samples[(n - 1) // 2] + samples[n // 2]) / 2, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", choices=["fwd", "train", "count"], required=True)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--widths", default="")
    ap.add_argument("--expect-params", type=int, default=-1)
    ap.add_argument("--expect-macs", type=int, default=-1)
    ap.add_argument("--min-iters", type=int, default=3)
    ap.add_argument("--min-ms", type=float, default=1000)
    ap.add_argument("--max-ms", type=float, default=8000)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    widths = json.loads(a.widths) if a.widths else DEFAULT_WIDTHS
    if len(widths) != 18 or not all(isinstance(w, int) and w > 0 for w in widths):
        print(f"torch_yolov3: expected 18 positive channel counts for --widths, got {a.widths}", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = YoloV3(widths)
    params, macs = count(model, a.size)
    print(f"torch_yolov3: {params} params (slimprune {a.expect_params}), {macs} conv MACs per image at {a.size} (slimprune {a.expect_macs})", file=sys.stderr)
    if (a.expect_params >= 0 and params != a.expect_params) or (a.expect_macs >= 0 and macs != a.expect_macs):
        print("torch_yolov3: expected the same network as slimprune's, got different parameter or MAC counts", file=sys.stderr)
        return 2
    result = {"params": params, "macs": macs, "threads": torch.get_num_threads(), "torch": torch.__version__}
    if a.op == "count":
        print(json.dumps(result))
        return 0
    cuda = a.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print(f"torch_yolov3: expected a usable CUDA device for --device {a.device}, got none", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    model.to(dev)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(a.batch, 3, a.size, a.size, generator=g) * 2 - 1).to(dev)
    if a.op == "fwd":
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
            sync()
    else:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9, weight_decay=5e-4)
        seeds = None

        def step():
            nonlocal seeds
            outs = model(x)
            if seeds is None:
                seeds = [(torch.rand(o.shape, generator=g) * 2 - 1).to(dev) for o in outs]
            torch.autograd.backward(outs, seeds)
            opt.step()
            opt.zero_grad(set_to_none=True)
            sync()
    hwm = reset_peak()
    ms, n = measure(step, a.min_iters, a.min_ms, a.max_ms)
    result.update({"ms": ms, "samples": n, "peak_rss_mb": peak_rss_mb() if hwm else None, "device": a.device})
    if cuda:
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated(dev) / 2**20
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
