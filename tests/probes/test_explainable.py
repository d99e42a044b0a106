"""Models to explain: ImageNet weights through torchvision's weights API, and runs from the store.

No test reaches the internet: torchvision-format state_dicts are written locally, where the loader
looks ($TORCH_HOME/hub/checkpoints, as torch.hub does), or served from a local file:// folder.
"""

import hashlib

import pytest
import torch
import torchvision

from resnet_viz import ResNetSpec
from resnet_viz.probes.explainable import (
    PRETRAINED_DEPTHS,
    WeightsUnavailable,
    download_weights,
    imagenet_weights,
    load_pretrained,
    load_run_model,
    weights_cached,
    weights_path,
)
from resnet_viz.training.store import RunStore


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def write_torchvision_weights(depth: int, seed: int = 0) -> torchvision.models.ResNet:
    """A randomly initialised torchvision ResNet, saved in torchvision's format where its weights go."""
    torch.manual_seed(seed)
    reference = getattr(torchvision.models, f"resnet{depth}")().eval()
    path = weights_path(depth)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(reference.state_dict(), path)
    return reference


def test_weights_live_where_torch_hub_keeps_them(torch_home):
    path = weights_path(50)
    assert path == torch_home / "hub" / "checkpoints" / "resnet50-11ad3fa6.pth"
    assert path.name == imagenet_weights(50).url.rsplit("/", 1)[1]
    assert not weights_cached(50)


@pytest.mark.parametrize("depth", PRETRAINED_DEPTHS)
def test_weight_file_names_are_torchvisions(depth):
    """The written-out file names (no torchvision import at first sight) are those of torchvision's URLs."""
    assert weights_path(depth).name == imagenet_weights(depth).url.rsplit("/", 1)[1]


def test_torchvision_state_dict_loads_strictly_and_predicts_the_same(torch_home):
    reference = write_torchvision_weights(18)
    explained = load_pretrained(18)
    assert len(explained.classes) == 1000 and explained.classes[0] == "tench"  # from the weights' meta
    assert explained.preprocessing.crop_size == 224 and explained.preprocessing.resize_size == 256
    assert not explained.model.training
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(explained.model(x), reference(x), rtol=1e-4, atol=1e-5)


def test_bottleneck_weights_load_with_v2_preprocessing(torch_home):
    write_torchvision_weights(50)
    explained = load_pretrained(50)
    assert explained.preprocessing.resize_size == 232 and "IMAGENET1K_V2" in explained.name
    assert explained.spec == ResNetSpec.from_depth(50)


def test_missing_and_damaged_weights_say_what_to_do(torch_home):
    with pytest.raises(WeightsUnavailable, match="not downloaded yet"):
        load_pretrained(34)
    path = weights_path(34)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a file")
    with pytest.raises(WeightsUnavailable, match="damaged"):
        load_pretrained(34)
    torch.save({"fc.weight": torch.zeros(3, 3)}, path)  # a readable file of the wrong network
    with pytest.raises(WeightsUnavailable, match="does not fit"):
        load_pretrained(34)
    with pytest.raises(ValueError, match="ResNet-18/34/50/101/152"):
        load_pretrained(20)


def test_download_reports_progress_and_lands_where_the_loader_looks(torch_home, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    torch.manual_seed(1)
    torch.save(torchvision.models.resnet18().state_dict(), mirror / weights_path(18).name)
    seen = []
    path = download_weights(18, progress=lambda done, total: seen.append(done), base_url=mirror.as_uri(), verify=False)
    assert path == weights_path(18) and weights_cached(18)
    assert seen and seen[-1] == path.stat().st_size
    load_pretrained(18)  # loads what was downloaded


def test_a_download_that_fails_its_hash_is_deleted(torch_home, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    fake = mirror / weights_path(18).name  # resnet18-f37072fd.pth, but not the real file
    torch.save(torchvision.models.resnet18().state_dict(), fake)
    assert not hashlib.sha256(fake.read_bytes()).hexdigest().startswith("f37072fd")
    with pytest.raises(WeightsUnavailable, match="corrupted"):
        download_weights(18, base_url=mirror.as_uri())
    assert not weights_cached(18)


def test_offline_download_gives_a_plain_message(torch_home, tmp_path):
    with pytest.raises(WeightsUnavailable, match="No network connection.*trained in the app"):
        download_weights(18, base_url=(tmp_path / "nowhere").as_uri())
    with pytest.raises(WeightsUnavailable, match="No network connection"):
        download_weights(18, base_url="http://127.0.0.1:9")  # nothing listens on the discard port
    assert not weights_cached(18)


def test_a_trained_run_loads_with_its_classes_size_and_statistics(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    spec = ResNetSpec.from_depth(8, style="cifar", in_channels=1, num_classes=3)
    config = {"dataset": "digits", "input_size": 12}
    run_id = store.create_run("tiny", spec.to_dict(), config, "cpu")
    from resnet_viz import build_resnet

    torch.manual_seed(0)
    model = build_resnet(spec).eval()
    state = {"spec": spec.to_dict(), "config": config, "classes": ["a", "b", "c"], "mean": [0.3], "std": [0.2]}
    store.save_checkpoint(run_id, {**state, "model": model.state_dict()})
    explained = load_run_model(store, run_id)
    assert explained.classes == ["a", "b", "c"] and explained.dataset == "digits"
    prep = explained.preprocessing
    assert (prep.crop_size, prep.resize_size, prep.channels, prep.mean, prep.std) == (12, 12, 1, (0.3,), (0.2,))
    x = torch.randn(1, 1, 12, 12)
    with torch.no_grad():
        torch.testing.assert_close(explained.model(x), model(x))
    assert "tiny" in explained.name
    with pytest.raises(FileNotFoundError):
        load_run_model(store, run_id + 1)
