"""Benchmark: attribution latency on an ImageNet ResNet at 224x224, against references measured in the same run.

    python benchmarks/bench_attribution.py [--depth 50] [--repeats 5] [--methods gradcam,saliency,...]

For one 224x224 image (batch of 1) on the device the app would pick (cuda, mps, else cpu):

- reference: one forward + backward of the same model to the input (what any gradient method must pay);
- hand: Grad-CAM written out with our own hook (forward, autograd.grad to layer4, weight, ReLU, upsample);
- ``attribute(..., "gradcam")``: the library's Grad-CAM through captum, including the predicted-class pass.

Printed: median milliseconds per map and the ratios gradcam / reference and gradcam / hand. The
weights are random unless torchvision's ImageNet weights are in the torch cache; the cost is the same.
Slower methods (Integrated Gradients, Occlusion) are timed once each with ``--methods``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz import ResNetSpec, build_resnet  # noqa: E402
from resnet_viz.device import device_label, pick_device  # noqa: E402
from resnet_viz.probes.attribution import METHODS, attribute  # noqa: E402
from resnet_viz.probes.explainable import load_pretrained, weights_cached  # noqa: E402


def timed(fn, repeats: int, device: torch.device) -> float:
    """Median wall time of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--methods", default="gradcam,guided_gradcam,saliency", help="comma-separated, or 'all'")
    args = parser.parse_args()
    device = pick_device()
    if weights_cached(args.depth):
        model, source = load_pretrained(args.depth, device=device).model, "ImageNet weights"
    else:
        torch.manual_seed(0)
        model, source = build_resnet(ResNetSpec.from_depth(args.depth), device=device).eval(), "random weights"
    x = torch.randn(1, 3, 224, 224, device=device)
    target = int(model(x).argmax())

    def reference():
        inp = x.detach().requires_grad_()
        (grad,) = torch.autograd.grad(model(inp)[0, target], inp)
        return grad

    def hand():
        caught = {}
        handle = model.layer4.register_forward_hook(lambda m, i, out: caught.setdefault("a", out))
        try:
            score = model(x)[0, target]
        finally:
            handle.remove()
        (grad,) = torch.autograd.grad(score, caught["a"])
        cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * caught["a"]).sum(1, keepdim=True))
        return F.interpolate(cam, size=(224, 224), mode="bilinear", align_corners=False)

    print(f"ResNet-{args.depth} ({source}), 1 x 3 x 224 x 224, on {device_label(device)}")
    ref_ms = timed(reference, args.repeats, device)
    hand_ms = timed(hand, args.repeats, device)
    print(f"  {'reference forward+backward':<36}{ref_ms:8.1f} ms")
    print(f"  {'hand-written Grad-CAM':<36}{hand_ms:8.1f} ms")
    methods = list(METHODS) if args.methods == "all" else args.methods.split(",")
    for method in methods:
        repeats = args.repeats if method in ("gradcam", "saliency", "guided_gradcam") else 1
        ms = timed(lambda: attribute(model, x, method, "layer4"), repeats, device)
        line = f"  {f'attribute({method!r})':<36}{ms:8.1f} ms   x{ms / ref_ms:.2f} reference"
        if method == "gradcam":
            line += f", x{ms / hand_ms:.2f} hand-written (incl. the predicted-class pass)"
        print(line)
        if method == "gradcam":
            given = timed(lambda: attribute(model, x, "gradcam", "layer4", target), args.repeats, device)
            print(f"  {'attribute(gradcam, target given)':<36}{given:8.1f} ms   x{given / hand_ms:.2f} hand-written")


if __name__ == "__main__":
    main()
