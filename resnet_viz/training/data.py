"""Datasets for short live runs, held in memory as normalised tensors.

Bundled, offline: scikit-learn's 8x8 handwritten digits (upsampled), "noisy digits" generated from them, and a
procedural "shapes"
set generated from a seed, with an object mask per image (for checking attributions later).
Downloaded on request: CIFAR-10, MNIST, Fashion-MNIST through torchvision, with a progress
callback. And a user's own ImageFolder directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..i18n import N_, _
from ..progress import Progress
from .download import default_data_dir, load_torchvision
from .generated import SHAPE_CLASSES, digit_images, make_noisy_digits, make_shapes

BUNDLED = ("digits", "noisy_digits", "shapes")


DOWNLOADABLE = ("cifar10", "mnist", "fashionmnist")


# The class names torchvision gives CIFAR-10 and Fashion-MNIST, marked here so the catalog translates them;
# they stay English in the data (and in stored runs) and are translated where shown. MNIST's are digits.
DOWNLOADED_CLASS_NAMES = (
    *(N_("airplane"), N_("automobile"), N_("bird"), N_("cat"), N_("deer")),
    *(N_("dog"), N_("frog"), N_("horse"), N_("ship"), N_("truck")),
    *(N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat")),
    *(N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot")),
)


ALLOWED_DATA_DIR_ENV = "RESNET_VIZ_ALLOWED_DATA_DIR"  # the one folder whose sub-folders users may train on


@dataclass
class DataBundle:
    """A dataset split into train and test, as normalised float tensors (N, C, H, W)."""

    name: str
    classes: list[str]
    x_train: torch.Tensor  # (N, C, H, W) float32, normalised with the training split's statistics
    y_train: torch.Tensor  # (N,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: tuple[float, ...]  # per channel, to undo the normalisation for display
    std: tuple[float, ...]
    flip_ok: bool  # is a horizontal flip label-preserving?
    masks_train: torch.Tensor | None = None  # (N, H, W) bool object masks ("shapes" only)
    masks_test: torch.Tensor | None = None

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.x_train.shape[-1])

    def describe(self) -> str:
        c, h, w = self.x_train.shape[1:]
        sizes = f"{len(self.x_train)} train / {len(self.x_test)} test"
        return f"{self.name}: {sizes}, {len(self.classes)} classes, {c}x{h}x{w}"


# ---------------------------------------------------------------------- user folders
def allowed_data_dir() -> Path | None:
    """The folder users' image folders must lie in: ``$RESNET_VIZ_ALLOWED_DATA_DIR`` resolved, or None when unset."""
    value = os.environ.get(ALLOWED_DATA_DIR_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def confine_folder(path: str | os.PathLike) -> Path:
    """``path`` resolved (symlinks and ``..`` included), if it lies inside `allowed_data_dir`.

    Relative paths are taken relative to the allowed folder. On a shared server this is what keeps a
    user from training on (and so reading) files outside the folder the operator set aside.

    Raises:
        ValueError: no allowed folder is configured, or the resolved path lies outside it.
    """
    allowed = allowed_data_dir()
    if allowed is None:
        raise ValueError(
            _(
                "Training on your own image folder is switched off: set {variable} to the folder whose "
                "sub-folders may be used, then restart."
            ).format(variable=ALLOWED_DATA_DIR_ENV)
        )
    given = Path(path).expanduser()
    resolved = (given if given.is_absolute() else allowed / given).resolve()
    if not resolved.is_relative_to(allowed):
        raise ValueError(
            _("{path} is outside the allowed data folder {allowed}; choose a folder inside it.").format(
                path=repr(str(path)), allowed=allowed
            )
        )
    return resolved


# ---------------------------------------------------------------------- loading
def load_dataset(
    name: str,
    input_size: int = 32,
    seed: int = 0,
    test_fraction: float = 0.2,
    num_samples: int | None = None,
    root: str | os.PathLike | None = None,
    folder: str | os.PathLike | None = None,
    download: bool = False,
    progress: Progress | None = None,
) -> DataBundle:
    """Load a dataset as a `DataBundle`, resized to ``input_size``, split by ``seed``.

    Raises:
        DatasetUnavailable: a downloadable set is missing (and ``download`` is False) or offline.
        ValueError: unknown name, bad folder (or one outside `allowed_data_dir`), bad sizes.
    """
    if not isinstance(input_size, int) or not 4 <= input_size <= 512:
        raise ValueError(_("Image size must be between 4 and 512 pixels; got {value}.").format(value=repr(input_size)))
    check_num_samples(num_samples)
    x, y, classes, flip_ok, masks = _read(name, input_size, seed, num_samples, root, folder, download, progress)
    if num_samples and name not in GENERATED and num_samples < len(x):
        keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:num_samples]
        x, y = x[keep], y[keep]
    if x.shape[-1] != input_size or x.shape[-2] != input_size:
        x = F.interpolate(x, size=(input_size, input_size), mode="bilinear", align_corners=False, antialias=True)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = max(1, int(round(test_fraction * len(x))))
    test, train = order[:n_test], order[n_test:]
    mean = x[train].mean(dim=(0, 2, 3))
    std = x[train].std(dim=(0, 2, 3)).clamp_min(1e-6)
    normalise = lambda t: (t - mean[:, None, None]) / std[:, None, None]  # noqa: E731
    return DataBundle(
        name=name,
        classes=classes,
        x_train=normalise(x[train]).contiguous(),
        y_train=y[train].contiguous(),
        x_test=normalise(x[test]).contiguous(),
        y_test=y[test].contiguous(),
        mean=tuple(mean.tolist()),
        std=tuple(std.tolist()),
        flip_ok=flip_ok,
        masks_train=masks[train] if masks is not None else None,
        masks_test=masks[test] if masks is not None else None,
    )


class _Images(NamedTuple):
    """A dataset as read, before it is resized and split."""

    x: torch.Tensor  # (N, C, H, W) in [0, 1]
    y: torch.Tensor  # (N,) int64 labels
    classes: list[str]
    flip_ok: bool  # a horizontal flip keeps the label (augmentation may use it)
    masks: torch.Tensor | None  # (N, H, W) bool: the object's pixels (shapes only)


def _read(
    name: str,
    input_size: int,
    seed: int,
    num_samples: int | None,
    root: str | os.PathLike | None,
    folder: str | os.PathLike | None,
    download: bool,
    progress: Progress | None,
) -> _Images:
    """Read dataset ``name`` from wherever it comes from (scikit-learn, the generator, torchvision, a folder)."""
    masks = None
    if name == "digits":
        x, y = digit_images()  # (1797, 1, 8, 8), (1797,)
        classes, flip_ok = [str(i) for i in range(10)], False
    elif name == "noisy_digits":
        if num_samples is not None and num_samples > MAX_SHAPES:
            raise ValueError(
                _("The noisy digits are generated with at most {maximum} images; got {value}.").format(
                    maximum=f"{MAX_SHAPES:,}", value=f"{num_samples:,}"
                )
            )
        images, labels = make_noisy_digits(num_samples or DEFAULT_NOISY_DIGITS, input_size, seed)
        x, y, classes, flip_ok = images, torch.from_numpy(labels), [str(i) for i in range(10)], False
    elif name == "shapes":
        if num_samples is not None and num_samples > MAX_SHAPES:
            raise ValueError(
                _("The shapes set is generated with at most {maximum} images; got {value}.").format(
                    maximum=f"{MAX_SHAPES:,}", value=f"{num_samples:,}"
                )
            )
        images, y, masks = make_shapes(num_samples or DEFAULT_SHAPES, input_size, seed)
        x, classes, flip_ok = images.float() / 255.0, list(SHAPE_CLASSES), True
    elif name in DOWNLOADABLE:
        x, y, classes = load_torchvision(name, Path(root) if root else default_data_dir(), download, progress)
        flip_ok = name == "cifar10"
    elif name == "folder":
        x, y, classes = _load_folder(image_folder(folder), input_size)
        flip_ok = True
    else:
        check_dataset_name(name)
    return _Images(x, y, classes, flip_ok, masks)


DATASET_NAMES = (*BUNDLED, *DOWNLOADABLE, "folder")


# Images per dataset (train and test together) and their channels: what a run holds in memory.
DATASET_SIZES = {"digits": (1797, 1), "cifar10": (60_000, 3), "mnist": (70_000, 1), "fashionmnist": (70_000, 1)}


DEFAULT_SHAPES = 3000  # images in the generated shapes set unless num_samples says otherwise
DEFAULT_NOISY_DIGITS = 4000  # images in the generated noisy digits unless num_samples says otherwise
GENERATED = ("shapes", "noisy_digits")  # made at the asked size and number, never subsampled


MAX_SHAPES = 100_000  # generated in float64 at the input size: more would only fill memory


def load_run_dataset(config: dict, default_input_size: int) -> DataBundle:
    """The dataset a run trained on, from its stored config (`TrainConfig.to_dict()`): same name, size,
    seed, sample count and location, so the split is the one the run saw."""
    return load_dataset(
        config.get("dataset", "digits"),
        input_size=int(config.get("input_size", default_input_size)),
        seed=int(config.get("seed", 0)),
        num_samples=config.get("num_samples"),
        root=config.get("data_root"),
        folder=config.get("folder"),
    )


def check_dataset_name(name: str) -> None:
    """Raise ValueError with the choices if ``name`` is not a dataset `load_dataset` knows."""
    if name not in DATASET_NAMES:
        raise ValueError(
            _("Unknown dataset {name}; choose one of {choices}.").format(
                name=repr(name), choices=", ".join(DATASET_NAMES)
            )
        )


def check_num_samples(num_samples: int | None) -> None:
    """Raise ValueError unless ``num_samples`` is None (the dataset's default) or a whole number >= 1."""
    if num_samples is None:
        return
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < 1:
        raise ValueError(
            _("num_samples must be a whole number >= 1, or unset for the whole dataset; got {value}.").format(
                value=repr(num_samples)
            )
        )


def dataset_shape(
    name: str, num_samples: int | None = None, folder: str | os.PathLike | None = None
) -> tuple[int, int]:
    """(images, channels) a `load_dataset` call would hold, known without loading anything.

    For a folder, the files with an image extension are counted (an upper bound: unreadable ones are skipped).
    """
    check_dataset_name(name)
    check_num_samples(num_samples)
    if name == "shapes":
        return num_samples or DEFAULT_SHAPES, 3
    if name == "noisy_digits":
        return num_samples or DEFAULT_NOISY_DIGITS, 1
    if name == "folder":
        images, channels = sum(len(files) for files in _class_images(image_folder(folder)).values()), 3
    else:
        images, channels = DATASET_SIZES[name]
    return (min(images, num_samples) if num_samples else images), channels


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".ppm", ".pgm"}


def _class_images(path: Path) -> dict[str, list[Path]]:
    """The files with an image extension under each sub-folder of ``path`` (the classes), by sub-folder name."""
    return {
        sub.name: [p for p in sub.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
        for sub in sorted(path.iterdir())
        if sub.is_dir()
    }


def image_folder(folder: str | os.PathLike | None) -> Path:
    """``folder`` as a usable image folder: given, inside `allowed_data_dir`, a folder, 2+ classes with images.

    Checked before a run is created (`dataset_shape`, so the admission and the command line refuse a bad folder
    up front instead of storing a run that fails when it loads its data), and again when it loads.

    Raises:
        ValueError: a readable message saying which of those it is not.
    """
    if not folder:
        raise ValueError(_("Choose an image folder: one sub-folder per class, images inside."))
    path = confine_folder(folder)
    if not path.is_dir():
        raise ValueError(_("{path} is not a folder.").format(path=path))
    classes = [name for name, files in _class_images(path).items() if files]
    if len(classes) < 2:
        raise ValueError(
            _("{path} has {count} class folder(s); training needs at least 2.").format(path=path, count=len(classes))
        )
    return path


def _load_folder(path: Path, input_size: int):
    from torchvision.datasets import ImageFolder
    from torchvision.transforms import functional as TF

    try:
        dataset = ImageFolder(str(path))
    except (FileNotFoundError, RuntimeError) as err:
        raise ValueError(
            _("{path} needs one sub-folder per class with images inside ({error}).").format(path=path, error=err)
        ) from None
    if len(dataset.classes) < 2:
        raise ValueError(
            _("{path} has {count} class folder(s); training needs at least 2.").format(
                path=path, count=len(dataset.classes)
            )
        )
    xs, ys = [], []
    for image_path, label in dataset.samples:
        try:
            image = dataset.loader(image_path).convert("RGB")
        except OSError:
            continue  # an unreadable file is skipped, not fatal
        xs.append(TF.to_tensor(TF.resize(image, [input_size, input_size], antialias=True)))
        ys.append(label)
    if len(xs) < 4:
        raise ValueError(_("{path} has fewer than 4 readable images.").format(path=path))
    return torch.stack(xs), torch.tensor(ys, dtype=torch.int64), list(dataset.classes)
