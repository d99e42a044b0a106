"""Measure what training a network really takes on the CPU: the peak resident memory of two training steps.

    python -m resnet_viz.nets.memory_probe '[depth, "style", input_size, batch_size, "optimizer", threads, eval]'

prints one JSON line: ``measured`` (bytes the process's peak resident set grew by, from just before the model is
built to after two SGD/AdamW steps and one evaluation of ``eval`` images, as the engine runs them) and
``estimated`` (`memory.estimate_training_memory`'s total for the same run; the images are not counted on
either side, the estimate's dataset part is left out). Run it in a fresh process, one case each, so earlier
allocations do not hide in the peak. Linux only (it resets the peak through /proc/self/clear_refs). The memory
test and benchmarks/bench_memory_estimate.py use it.
"""

from __future__ import annotations

import json
import sys


def peak_rss() -> int:
    """VmHWM: the process's peak resident set in bytes (writing 5 to /proc/self/clear_refs resets it)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


def measure(depth: int, style: str, size: int, batch: int, optimizer: str, threads: int, eval_images: int) -> dict:
    """Peak memory growth of two training steps and one evaluation of ResNet-``depth`` (``style``) on random
    images, and the estimate for the same run."""
    import torch
    import torch.nn.functional as F

    from ..training.evaluate import evaluate
    from .memory import EVAL_BATCH, estimate_training_memory
    from .model import ResNet
    from .spec import ResNetSpec

    torch.set_num_threads(threads)
    spec = ResNetSpec.from_depth(depth, style=style)
    estimate = estimate_training_memory(spec, size, batch, optimizer, eval_samples=eval_images)
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, spec.num_classes, (batch,))  # (N, 3, H, W), (N,)
    x_eval = torch.randn(eval_images, 3, size, size)  # (E, 3, H, W)
    y_eval = torch.randint(0, spec.num_classes, (eval_images,))
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = peak_rss()
    model = ResNet(spec).train()
    params = model.parameters()
    opt = torch.optim.SGD(params, 0.1, momentum=0.9) if optimizer == "sgd" else torch.optim.AdamW(params)
    for _step in range(2):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    evaluate(model, x_eval, y_eval, batch_size=EVAL_BATCH)
    return {"measured": peak_rss() - before, "estimated": estimate.total_bytes}


if __name__ == "__main__":
    print(json.dumps(measure(*json.loads(sys.argv[1]))))
