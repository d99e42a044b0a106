"""Datasets: bundled sets offline, seeded splits, shapes masks, downloads and folders from local files."""

import pickle
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from resnet_viz.training.data import load_dataset
from resnet_viz.training.download import DatasetUnavailable, dataset_available, download_file
from resnet_viz.training.generated import make_shapes


@pytest.mark.parametrize("name, channels, classes", [("digits", 1, 10), ("noisy_digits", 1, 10), ("shapes", 3, 6)])
@pytest.mark.parametrize("size", [16, 32])
def test_bundled_sets_load_normalised(name, channels, classes, size):
    bundle = load_dataset(name, input_size=size, seed=0, num_samples=600 if name != "digits" else None)
    assert bundle.x_train.shape[1:] == (channels, size, size) and bundle.x_train.dtype == torch.float32
    assert bundle.y_train.dtype == torch.int64 and len(bundle.classes) == classes
    assert set(bundle.y_train.tolist()) == set(range(classes))
    mean, std = bundle.x_train.mean(dim=(0, 2, 3)), bundle.x_train.std(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.zeros(channels), atol=1e-4) and torch.allclose(
        std, torch.ones(channels), atol=1e-3
    )
    assert len(bundle.x_test) > 0 and bundle.in_channels == channels and bundle.input_size == size


def test_splits_are_fixed_by_the_seed():
    a, b, c = (load_dataset("digits", 16, seed=s) for s in (0, 0, 1))
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_test, c.y_test)
    assert len(a.x_train) + len(a.x_test) == 1797


def test_shapes_are_deterministic_and_masks_mark_the_object():
    x1, y1, m1 = make_shapes(200, 32, seed=3)
    x2, y2, m2 = make_shapes(200, 32, seed=3)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and torch.equal(m1, m2)
    assert x1.dtype == torch.uint8 and x1.shape == (200, 3, 32, 32) and m1.shape == (200, 32, 32)
    areas = m1.flatten(1).float().mean(1)
    assert (areas > 0.02).all() and (areas < 0.6).all()  # an object, not the whole image
    for i in range(20):  # object colour differs clearly from the background
        inside = x1[i].float()[:, m1[i]].mean(1)
        outside = x1[i].float()[:, ~m1[i]].mean(1)
        assert (inside - outside).abs().max() > 40
    large, _, masks = make_shapes(5, 224, seed=0)
    assert large.shape == (5, 3, 224, 224) and masks.any()
    bundle = load_dataset("shapes", 16, seed=0, num_samples=300)
    assert bundle.masks_train.shape == (len(bundle.x_train), 16, 16) and bundle.flip_ok


def test_noisy_digits_are_deterministic_digits_under_noise():
    """Same seed, same images; each image is its digit moved and turned (it correlates with the clean digit far
    more than with other classes' digits) under noise of the stated strength."""
    from sklearn.datasets import load_digits

    from resnet_viz.training.generated import NOISY_DIGITS_NOISE, make_noisy_digits

    x1, y1 = make_noisy_digits(400, 16, seed=5)
    x2, y2 = make_noisy_digits(400, 16, seed=5)
    assert torch.equal(x1, x2) and (y1 == y2).all() and not torch.equal(x1, make_noisy_digits(400, 16, seed=6)[0])
    assert x1.shape == (400, 1, 16, 16) and x1.dtype == torch.float32 and 0 <= x1.min() and x1.max() <= 1
    assert set(y1.tolist()) == set(range(10))
    ink = 2 * x1 - 0.5  # back to the ink scale, noise included
    background = ink[:, :, :2, :2]  # corners: mostly outside the digit
    assert 0.6 * NOISY_DIGITS_NOISE < float(background.std()) < 1.4 * NOISY_DIGITS_NOISE
    # Class means of the noisy images look like the class means of the clean digits, upsampled.
    clean = torch.nn.functional.interpolate(torch.tensor(load_digits().images)[:, None].float() / 16, size=16)
    clean_means = torch.stack([clean[torch.tensor(load_digits().target) == c].mean(0).flatten() for c in range(10)])
    noisy_means = torch.stack([ink[torch.from_numpy(y1) == c].mean(0).flatten() for c in range(10)])
    similarity = torch.corrcoef(torch.cat([noisy_means, clean_means]))[:10, 10:]  # (noisy class, clean class)
    assert (similarity.argmax(1) == torch.arange(10)).all()
    bundle = load_dataset("noisy_digits", 16, seed=0, num_samples=500)
    assert len(bundle.x_train) + len(bundle.x_test) == 500 and not bundle.flip_ok


def test_download_file_reports_progress_and_writes_the_bytes(tmp_path):
    source = tmp_path / "archive.bin"
    payload = np.random.default_rng(0).bytes(300_000)
    source.write_bytes(payload)
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # a local server: no internet involved
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen = []
    try:
        dest = download_file(
            f"http://127.0.0.1:{server.server_port}/archive.bin",
            tmp_path / "out" / "a.bin",
            progress=lambda done, total: seen.append((done, total)),
        )
    finally:
        server.shutdown()
    assert dest.read_bytes() == payload
    assert seen[-1] == (300_000, 300_000) and len(seen) > 1


def test_unreachable_download_is_a_readable_error(tmp_path):
    with pytest.raises(DatasetUnavailable, match="No network connection.*bundled datasets"):
        download_file("http://127.0.0.1:9/x.tar.gz", tmp_path / "x.tar.gz", label="CIFAR-10")
    assert not (tmp_path / "x.tar.gz").exists()


def write_fake_cifar10(root: Path, per_batch: int = 4) -> None:
    """CIFAR-10 in torchvision's on-disk format (pickled batches), written locally."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    for batch in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = {
            "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            "labels": list(rng.integers(0, 10, per_batch)),
        }
        (folder / batch).write_bytes(pickle.dumps(data))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))


def test_cifar10_loading_path_on_local_files(tmp_path, monkeypatch):
    write_fake_cifar10(tmp_path)
    # torchvision verifies the real archive's md5 sums; our fake files are not the real ones.
    import torchvision.datasets.cifar as cifar

    monkeypatch.setattr(cifar, "check_integrity", lambda *args: True)
    assert dataset_available("cifar10", tmp_path)
    bundle = load_dataset("cifar10", input_size=16, root=tmp_path)
    assert bundle.classes[0] == "airplane" and bundle.x_train.shape[1:] == (3, 16, 16)
    assert len(bundle.x_train) + len(bundle.x_test) == 24


def test_missing_download_without_permission_says_what_to_do(tmp_path):
    assert not dataset_available("mnist", tmp_path)
    with pytest.raises(DatasetUnavailable, match="not downloaded yet.*bundled"):
        load_dataset("mnist", 16, root=tmp_path)


def test_image_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_ALLOWED_DATA_DIR", str(tmp_path))
    for label, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.new("RGB", (40, 30), colour).save(tmp_path / label / f"{i}.png")
    (tmp_path / "red" / "broken.png").write_bytes(b"not an image")
    bundle = load_dataset("folder", 16, folder=tmp_path)
    assert bundle.classes == ["blue", "red"] and bundle.x_train.shape[1:] == (3, 16, 16)
    assert len(bundle.x_train) + len(bundle.x_test) == 6  # the broken file is skipped
    with pytest.raises(ValueError, match="not a folder"):
        load_dataset("folder", 16, folder=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError):
        load_dataset("folder", 16, folder=tmp_path / "empty")


def test_bad_names_and_sizes():
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_dataset("imagenet")
    with pytest.raises(ValueError, match="Image size"):
        load_dataset("digits", input_size=2)


def test_folders_are_confined_to_the_allowed_data_dir(tmp_path, monkeypatch):
    from resnet_viz.training.data import allowed_data_dir, confine_folder

    allowed, outside = tmp_path / "allowed", tmp_path / "secret"
    (allowed / "class_a").mkdir(parents=True)
    outside.mkdir()
    (allowed / "escape").symlink_to(outside, target_is_directory=True)
    monkeypatch.delenv("RESNET_VIZ_ALLOWED_DATA_DIR", raising=False)
    assert allowed_data_dir() is None
    with pytest.raises(ValueError, match="switched off: set RESNET_VIZ_ALLOWED_DATA_DIR"):
        confine_folder(allowed)
    with pytest.raises(ValueError, match="switched off"):
        load_dataset("folder", 16, folder=allowed)  # also when the app's checks are bypassed

    monkeypatch.setenv("RESNET_VIZ_ALLOWED_DATA_DIR", str(allowed))
    assert allowed_data_dir() == allowed.resolve()
    assert confine_folder(allowed / "class_a") == (allowed / "class_a").resolve()
    assert confine_folder("class_a") == (allowed / "class_a").resolve()  # relative to the allowed folder
    for bad in (outside, allowed / "escape", allowed / ".." / "secret", "../secret", "/etc"):
        with pytest.raises(ValueError, match="outside the allowed data folder"):
            confine_folder(bad)
    with pytest.raises(ValueError, match="outside the allowed data folder"):
        load_dataset("folder", 16, folder=allowed / "escape")


def test_num_samples_zero_is_refused():
    with pytest.raises(ValueError, match="num_samples must be a whole number >= 1"):
        load_dataset("digits", 8, num_samples=0)


def test_digit_images_are_scikit_learns_digits_without_importing_it():
    """The digits are read from scikit-learn's own file, value for value as `load_digits` gives them."""
    import subprocess
    import sys
    from pathlib import Path

    from sklearn.datasets import load_digits

    from resnet_viz.training.generated import digit_images

    x, y = digit_images()
    digits = load_digits()
    assert torch.equal(x, torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0)
    assert torch.equal(y, torch.tensor(digits.target, dtype=torch.int64))
    code = (
        "import sys; from resnet_viz.training.generated import digit_images as d; d(); print('sklearn' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False"
