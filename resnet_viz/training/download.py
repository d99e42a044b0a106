"""Downloads: torchvision's datasets (CIFAR-10, MNIST, Fashion-MNIST), fetched with our own downloader for its
progress bar, and loaded from disk as tensors (`load_torchvision`, which `data.load_dataset` calls); also the
downloader itself (`download_file`), which the pretrained weights use too."""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import torch

from ..i18n import N_, _
from ..progress import Progress


class DatasetUnavailable(RuntimeError):
    """A dataset is not on this machine and cannot be fetched now (message says what to do)."""


def default_data_dir() -> Path:
    """$RESNET_VIZ_DATA, else ~/.cache/resnet_viz/data."""
    env = os.environ.get("RESNET_VIZ_DATA")
    return Path(env) if env else Path.home() / ".cache" / "resnet_viz" / "data"


# ---------------------------------------------------------------------- downloads
_TORCHVISION = {"cifar10": "CIFAR10", "mnist": "MNIST", "fashionmnist": "FashionMNIST"}


_PRETTY = {"cifar10": "CIFAR-10", "mnist": "MNIST", "fashionmnist": "Fashion-MNIST"}


def dataset_available(name: str, root: str | os.PathLike | None = None) -> bool:
    """Is a downloadable dataset already on disk (loadable without the network)?"""
    try:
        _torchvision_dataset(name, Path(root) if root else default_data_dir(), train=True)
        return True
    except (RuntimeError, OSError):
        return False


def download_dataset(name: str, root: str | os.PathLike | None = None, progress: Progress | None = None) -> None:
    """Fetch a dataset's archives with our own downloader (for the progress bar), then verify."""
    import torchvision.datasets as tvd
    from torchvision.datasets.utils import check_integrity, extract_archive

    root = Path(root) if root else default_data_dir()
    cls = getattr(tvd, _TORCHVISION[name])
    if name == "cifar10":
        files = [(cls.url, cls.filename, cls.tgz_md5)]
        folder = root
    else:
        folder = root / cls.__name__ / "raw"
        files = [(f"{mirror}{file}", file, md5) for file, md5 in cls.resources for mirror in cls.mirrors[:1]]
    for url, filename, md5 in files:
        target = folder / filename
        if not check_integrity(str(target), md5):
            download_file(url, target, progress, label=_PRETTY[name])
            if not check_integrity(str(target), md5):
                target.unlink(missing_ok=True)
                raise DatasetUnavailable(
                    _("The {dataset} download was corrupted; please try again.").format(dataset=_PRETTY[name])
                )
        extract_archive(str(target), str(folder))


OFFLINE_HINT = N_("The bundled datasets (digits, shapes) work offline.")


def download_file(
    url: str,
    dest: str | os.PathLike,
    progress: Progress | None = None,
    label: str = N_("the file"),
    offline_hint: str = OFFLINE_HINT,
) -> Path:
    """Download ``url`` to ``dest`` in chunks, reporting (bytes done, bytes total or None).

    Writes to a temporary file and renames it when complete, so a broken download leaves nothing.

    Raises:
        DatasetUnavailable: no connection (the message ends with ``offline_hint``).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            total = int(response.headers.get("Content-Length") or 0) or None  # file:// URLs have no .length
            done = 0
            with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        os.replace(out.name, dest)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        if "out" in locals():
            Path(out.name).unlink(missing_ok=True)
        raise DatasetUnavailable(
            _("No network connection: could not download {label} ({reason}). {hint}").format(
                label=_(label), reason=getattr(err, "reason", err), hint=_(offline_hint)
            )
        ) from None
    return dest


def _torchvision_dataset(name: str, root: Path, train: bool):
    import torchvision.datasets as tvd

    cls = getattr(tvd, _TORCHVISION[name])
    return cls(str(root), train=train, download=False)


def load_torchvision(
    name: str, root: Path, download: bool, progress: Progress | None
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Both splits of a torchvision dataset from ``root``, fetched first if missing and ``download`` is true.

    Returns: images (N, C, H, W) in [0, 1], labels (N,) int64 (training split first, then test), class names.

    Raises:
        DatasetUnavailable: not on disk and ``download`` is false, or the download failed.
    """
    if not dataset_available(name, root):
        if not download:
            raise DatasetUnavailable(
                _(
                    "{dataset} is not downloaded yet (looked in {root}). Download it from the Train page, or use "
                    "the bundled digits or shapes, which work offline."
                ).format(dataset=_PRETTY[name], root=root)
            )
        download_dataset(name, root, progress)
    parts = [_torchvision_dataset(name, root, train) for train in (True, False)]
    xs, ys = [], []
    for part in parts:
        data = torch.as_tensor(np.asarray(part.data))
        data = data.permute(0, 3, 1, 2) if data.ndim == 4 else data[:, None]  # (N, C, H, W)
        xs.append(data.float() / 255.0)
        ys.append(torch.as_tensor(np.asarray(part.targets), dtype=torch.int64))
    return torch.cat(xs), torch.cat(ys), list(parts[0].classes)
