"""Hooks and private copies: how the library looks inside a network without leaving a trace on it.

* `hooked` registers forward (or forward-pre) hooks for one ``with`` block and always removes them,
  also when the block raises: a hook left behind would run in every later forward pass of the model.
* `private_copy` gives one caller a structural copy of a shared model: the app caches models for
  every session, and hooks or eval mode set on the shared one would leak into other sessions.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from torch import nn

HOOK_KINDS = ("forward", "forward_pre")


@contextmanager
def hooked(hooks: Iterable[tuple[nn.Module, Callable]], kind: str = "forward") -> Iterator[None]:
    """Register each ``(module, hook)`` pair as a ``kind`` hook ("forward" or "forward_pre") for the block.

    A forward hook is called as ``hook(module, inputs, output)`` and may return a replacement output; a
    forward-pre hook as ``hook(module, inputs)``. Every hook is removed when the block ends, however it ends.
    """
    if kind not in HOOK_KINDS:
        raise ValueError(f"Unknown hook kind {kind!r}; choose one of {', '.join(HOOK_KINDS)}.")
    handles = []
    try:
        for module, hook in hooks:
            register = module.register_forward_hook if kind == "forward" else module.register_forward_pre_hook
            handles.append(register(hook))
        yield
    finally:
        for handle in handles:
            handle.remove()


_IDLE_COPIES: weakref.WeakKeyDictionary[nn.Module, list[nn.Module]] = weakref.WeakKeyDictionary()
_COPIES_GUARD = threading.Lock()


@contextmanager
def private_copy(model: nn.Module) -> Iterator[nn.Module]:
    """A structural copy of ``model`` in eval mode for one call: its own module objects, the same tensors.

    Models are cached and shared by every session of the app. Probes hang hooks on modules
    (Grad-CAM on a stage, Guided Backprop on every ReLU, a lesion on a block) and need eval mode;
    doing that on the shared model would let two sessions see each other's hooks, or make them wait
    for each other. A copy whose parameters and buffers *are* the model's (no weights duplicated)
    avoids both, at the cost of building the module tree once per concurrent caller: copies are kept
    and reused.
    """
    with _COPIES_GUARD:
        idle = _IDLE_COPIES.setdefault(model, [])
        view = idle.pop() if idle else None
    if view is None:
        shared = {id(t): t for t in (*model.parameters(), *model.buffers())}  # deepcopy keeps these as they are
        view = copy.deepcopy(model, memo=shared).eval()
    try:
        yield view
    finally:
        with _COPIES_GUARD:
            _IDLE_COPIES.setdefault(model, []).append(view)
