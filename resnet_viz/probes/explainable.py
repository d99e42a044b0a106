"""Models to explain: torchvision's ImageNet weights in our own ResNets, or a run trained in the app.

ImageNet weights come through torchvision's weights API (``ResNet50_Weights.DEFAULT``): its URL,
class names (``meta["categories"]``) and preprocessing (``transforms()``), never hand-copied. The
file lives where ``torch.hub`` keeps it (``$TORCH_HOME/hub/checkpoints/resnet50-11ad3fa6.pth``), so a
file torchvision already downloaded is reused, and it loads into `build_resnet`'s model with
``strict=True``: the names and shapes match torchvision's exactly (the foundation's promise). Only the file names
are written out here (`WEIGHT_FILES`, checked against torchvision's URLs by tests/probes/test_explainable.py): asking
whether the weights are on this machine, as "Where it looks" does at first sight, then needs no torchvision import
(seconds: it imports torch._dynamo).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from ..i18n import N_, _
from ..nets.builder import build_resnet
from ..nets.spec import ResNetSpec
from ..progress import Progress
from ..training.download import DatasetUnavailable, download_file
from .images import Preprocessing

PRETRAINED_DEPTHS = (18, 34, 50, 101, 152)
# The file names of torchvision's default weights (``basename(imagenet_weights(depth).url)``).
WEIGHT_FILES = {
    18: "resnet18-f37072fd.pth",
    34: "resnet34-b627a593.pth",
    50: "resnet50-11ad3fa6.pth",
    101: "resnet101-cd907fc2.pth",
    152: "resnet152-f82ba261.pth",
}
_HASH_IN_NAME = re.compile(r"-([a-f0-9]+)\.")  # torchvision's file names end in the SHA-256 prefix


class WeightsUnavailable(RuntimeError):
    """Pretrained weights are not on this machine and cannot be fetched now (the message says what to do)."""


@dataclass
class ExplainableModel:
    """A model ready to explain: eval mode, with its class names and input preprocessing."""

    model: nn.Module
    classes: list[str]
    preprocessing: Preprocessing
    name: str  # "ResNet-50 (ImageNet, IMAGENET1K_V2)" or "run #3 ResNet-20 on shapes"
    spec: ResNetSpec
    dataset: str | None = None  # the training dataset of a run ("shapes", ...), None for ImageNet
    config: dict = field(default_factory=dict)  # a run's training config (TrainConfig.to_dict()), {} for ImageNet
    title: str = ""  # ``name`` as a message (marked with N_) with {fields} from ``title_fields``; "" = ``name`` as is
    title_fields: dict = field(default_factory=dict)

    def display_name(self) -> str:
        """``name`` in the user's language (``name`` itself stays English: it identifies the model)."""
        if not self.title:
            return self.name
        fields = dict(self.title_fields)
        if "description" in fields:  # a bundled model's description is a message too (bundle.RECIPES)
            fields["description"] = _(fields["description"])
        return _(self.title).format(**fields)


# ---------------------------------------------------------------------- ImageNet weights
def imagenet_weights(depth: int):
    """torchvision's default ImageNet weights for ResNet-``depth`` (V2 for 50/101/152, V1 for 18/34)."""
    if depth not in PRETRAINED_DEPTHS:
        raise ValueError(
            _("ImageNet weights exist for ResNet-{depths}; got {depth}.").format(
                depths="/".join(map(str, PRETRAINED_DEPTHS)), depth=depth
            )
        )
    from torchvision.models import get_model_weights

    return get_model_weights(f"resnet{depth}").DEFAULT


def weights_path(depth: int) -> Path:
    """Where the weights file of ResNet-``depth`` lives: torch.hub's cache, as torchvision itself uses."""
    if depth not in WEIGHT_FILES:
        imagenet_weights(depth)  # raises ValueError, naming the depths that have weights
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHT_FILES[depth]


def weights_cached(depth: int) -> bool:
    return weights_path(depth).is_file()


def weights_size_mb(depth: int) -> float:
    """The download size from the weights' metadata, in MB."""
    return float(imagenet_weights(depth).meta.get("_file_size", 0.0))


def download_weights(
    depth: int, progress: Progress | None = None, base_url: str | None = None, verify: bool = True
) -> Path:
    """Download ResNet-``depth``'s ImageNet weights into the torch cache, reporting (bytes done, total).

    Args:
        base_url: fetch from this folder instead of torchvision's server (a mirror, or a local
            ``file://`` folder in tests); the file name is torchvision's.
        verify: check the SHA-256 prefix that torchvision writes in the file name, as
            ``torch.hub.load_state_dict_from_url(check_hash=True)`` does. A mismatch deletes the file.

    Raises:
        WeightsUnavailable: no network, or the download was corrupted.
    """
    url = imagenet_weights(depth).url
    dest = weights_path(depth)
    if base_url:
        url = base_url.rstrip("/") + "/" + dest.name
    hint = _("Pretrained weights need one download; meanwhile, explain a model trained in the app.")
    label = _("the ResNet-{depth} weights").format(depth=depth)
    try:
        download_file(url, dest, progress, label=label, offline_hint=hint)
    except DatasetUnavailable as err:
        raise WeightsUnavailable(str(err)) from None
    expected = _HASH_IN_NAME.search(dest.name)
    if verify and expected:
        digest = hashlib.sha256(dest.read_bytes()).hexdigest()
        if not digest.startswith(expected.group(1)):
            dest.unlink(missing_ok=True)
            raise WeightsUnavailable(
                _("The ResNet-{depth} weights download was corrupted; please try again.").format(depth=depth)
            )
    return dest


def load_pretrained(depth: int, device: torch.device | str | None = None) -> ExplainableModel:
    """`build_resnet`'s ResNet-``depth`` with torchvision's ImageNet weights loaded ``strict=True``.

    Raises:
        WeightsUnavailable: the file is not in the cache (call `download_weights`) or is damaged.
    """
    weights = imagenet_weights(depth)
    path = weights_path(depth)
    if not path.is_file():
        raise WeightsUnavailable(
            _("The ImageNet weights of ResNet-{depth} are not downloaded yet ({size} MB, looked in {folder}).").format(
                depth=depth, size=f"{weights_size_mb(depth):.0f}", folder=path.parent
            )
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same advice
        raise WeightsUnavailable(
            _("The weights file {path} is damaged ({error}); delete it and download again.").format(
                path=path, error=type(err).__name__
            )
        ) from None
    spec = ResNetSpec.from_depth(depth)  # torchvision's layout: option B, stride on the 3x3 ("v1.5")
    model = build_resnet(spec, input_size=spec.default_input_size)
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, AttributeError) as err:
        raise WeightsUnavailable(
            _("The weights file {path} does not fit ResNet-{depth}: {error}").format(
                path=path, depth=depth, error=str(err)[:300]
            )
        ) from None
    return ExplainableModel(
        model=model.eval().to(device or "cpu"),
        classes=list(weights.meta["categories"]),
        preprocessing=Preprocessing.from_weights(weights),
        name=f"ResNet-{depth} (ImageNet, {weights.name})",
        spec=spec,
    )


# ---------------------------------------------------------------------- runs trained in the app
def load_run_model(store, run_id: int, device: torch.device | str | None = None) -> ExplainableModel:
    """A run's final weights from the run store, with its dataset's classes, size and statistics.

    Raises:
        FileNotFoundError: the run has no checkpoint. ValueError: the checkpoint does not fit its spec.
    """
    state = store.load_checkpoint(run_id)
    spec = ResNetSpec.from_dict(state["spec"])
    config = state.get("config", {})
    size = int(config.get("input_size", spec.default_input_size))
    model = build_resnet(spec, input_size=size)
    try:
        model.load_state_dict(state["model"], strict=True)
    except (RuntimeError, KeyError) as err:
        raise ValueError(
            _("Run #{id}'s checkpoint does not fit its network: {error}").format(id=run_id, error=str(err)[:300])
        ) from None
    name = store.run(run_id).get("name") or spec.name
    title = N_("run #{id} {name}"), {"id": run_id, "name": name}
    return _trained_model(model, spec, state, size, title, dict(config), device)


def _trained_model(model, spec, state: dict, size: int, title: tuple, config: dict, device) -> ExplainableModel:
    """A model trained on a small dataset (a run or a bundled model): its classes, size and statistics.

    ``title`` is (its name as a message, the message's fields): the English name and the name to show.
    """
    message, fields = title
    preprocessing = Preprocessing(
        crop_size=size,
        resize_size=size,
        mean=tuple(state["mean"]),
        std=tuple(state["std"]),
        channels=spec.in_channels,
    )
    return ExplainableModel(
        model=model.eval().to(device or "cpu"),
        classes=list(state["classes"]),
        preprocessing=preprocessing,
        name=message.format(**fields),
        spec=spec,
        dataset=config.get("dataset"),
        config=config,
        title=message,
        title_fields=fields,
    )


# ---------------------------------------------------------------------- models that ship with the app
class BundledModelUnavailable(RuntimeError):
    """A bundled model is missing, damaged or tampered with (the message says which file and what to do)."""


def bundled_models(models_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The models in ``assets/models/``: name, description, recorded train and test error (0..1), steps."""

    from ..training.bundled import RECIPES

    manifest = _manifest(models_dir)
    rows = []
    for name, recipe in RECIPES.items():
        entry = manifest.get("models", {}).get(name, {})
        rows.append(
            {
                "name": name,
                "description": recipe.description,
                "dataset": recipe.dataset,
                "residual": recipe.residual,
                "depth": recipe.depth,
                "train_error": entry.get("train_error", float("nan")),
                "test_error": entry.get("test_error", float("nan")),
                "steps": entry.get("steps"),
                "available": bool(entry),
            }
        )
    return pd.DataFrame(rows)


def _manifest(models_dir: str | os.PathLike | None = None) -> dict:
    import json

    from ..training.bundled import MANIFEST, MODELS_DIR

    path = Path(models_dir or MODELS_DIR) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise BundledModelUnavailable(
            _(
                "The bundled models' manifest {path} is missing or damaged ({error}); "
                "recreate it with `python -m resnet_viz bundle-models`."
            ).format(path=path, error=type(err).__name__)
        ) from None


def load_bundled(
    name: str, models_dir: str | os.PathLike | None = None, device: torch.device | str | None = None
) -> ExplainableModel:
    """A model that ships with the app ("plain-20", "plain-56", "resnet-20", "resnet-56", "resnet-20-shapes").

    Weights are stored in float16 and load back into float32. The file's SHA-256 must match the manifest.

    Raises:
        BundledModelUnavailable: unknown name, missing file, a checksum that does not match (damaged or
            tampered file), or weights that do not fit the recorded spec.
    """
    from ..training.bundled import MODELS_DIR, RECIPES, sha256

    if name not in RECIPES:
        raise BundledModelUnavailable(
            _("No bundled model {name}; choose from {names}.").format(name=repr(name), names=", ".join(RECIPES))
        )
    entry = _manifest(models_dir).get("models", {}).get(name)
    folder = Path(models_dir or MODELS_DIR)
    if entry is None:
        raise BundledModelUnavailable(
            _("{name} is not in {manifest}; run `python -m resnet_viz bundle-models`.").format(
                name=name, manifest=folder / "manifest.json"
            )
        )
    path = folder / entry["file"]
    if not path.is_file():
        raise BundledModelUnavailable(
            _("The bundled model file {path} is missing; run `python -m resnet_viz bundle-models`.").format(path=path)
        )
    if sha256(path) != entry["sha256"]:
        raise BundledModelUnavailable(
            _(
                "The bundled model file {path} does not match its checksum in the manifest: it is damaged or was "
                "modified. Restore it from the repository or recreate it with `python -m resnet_viz bundle-models`."
            ).format(path=path)
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        spec = ResNetSpec.from_dict(state["spec"])
        size = int(state["config"]["input_size"])
        model = build_resnet(spec, input_size=size)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state["model"].items()})
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same advice
        raise BundledModelUnavailable(
            _("The bundled model file {path} cannot be read ({error}).").format(
                path=path, error=f"{type(err).__name__}: {str(err)[:200]}"
            )
        ) from None
    config = {**state["config"], "bundled": name, "metrics": dict(state["metrics"])}
    title = N_("bundled {name} ({description})"), {"name": name, "description": state["description"]}
    return _trained_model(model, spec, state, size, title, config, device)
