"""The Where-it-looks page in AppTest: pretrained weights (written locally), uploads good and bad, trained runs."""

import json
import os

import pytest
import torch
import torchvision
from apptest_pages import open_app_page
from image_cases import ACCEPTED, REFUSED, encode, photo
from streamlit.testing.v1 import AppTest

from resnet_viz import ResNetSpec
from resnet_viz.probes.explainable import weights_path


@pytest.fixture
def resnet18_weights(tmp_path, monkeypatch):
    """torchvision-format ResNet-18 weights (random, not ImageNet's) in a fresh torch cache."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = weights_path(18)
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    return path


def run_page(**state) -> AppTest:
    return open_app_page("app_pages/attribution.py", state=state, timeout=300)


def image_captions(at: AppTest) -> list[str]:
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def explained_pictures(at: AppTest) -> list[str]:
    """Captions of section 3's pictures (the trained-run sections below may show their own)."""
    return [c for c in image_captions(at) if c.startswith(("What the model sees", "layer")) or " overlay for " in c]


def test_without_weights_the_page_offers_the_download_and_the_other_source(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    at = run_page(att_source="imagenet")  # without weights the page starts on the bundled models
    assert "not on this machine yet" in at.info[0].value
    assert any(b.label == "Download the ResNet-50 weights" for b in at.button)
    assert any("trained in this app" in c.value for c in at.caption)
    assert not explained_pictures(at)


@pytest.mark.slow
def test_a_sample_is_explained_with_pretrained_weights(resnet18_weights):
    at = run_page()
    assert "ResNet-18 (ImageNet, IMAGENET1K_V1)" in at.caption[0].value
    top5 = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(top5["data"][0]["y"]) == 5
    captions = explained_pictures(at)
    assert captions[0].startswith("What the model sees (224 x 224)")
    assert captions[1].startswith("Grad-CAM overlay for") and captions[1].endswith("at layer4")
    strip = captions[2:]
    assert [c.split(":")[0] for c in strip] == ["layer1", "layer2", "layer3", "layer4"]
    assert strip[0].startswith("layer1: 56 x 56 cells") and strip[3].startswith("layer4: 7 x 7 cells, 512 channels")

    at.selectbox(key="att_layer_imagenet-18").set_value("layer3.1").run()
    assert explained_pictures(at)[-1].startswith("layer3.1: 14 x 14")  # a chosen block joins the strip
    for method in ("guided_gradcam", "saliency"):
        at.selectbox(key="att_method").set_value(method).run()
        assert not at.exception and "overlay" in explained_pictures(at)[1]


@pytest.mark.slow
def test_slow_methods_wait_for_a_click_then_compute(resnet18_weights):
    at = run_page()
    at.selectbox(key="att_method").set_value("occlusion").run()
    assert not any("Occlusion overlay" in c for c in explained_pictures(at))
    at.button(key="att_compute").click().run()
    assert not at.exception, at.exception
    assert any(c.startswith("Occlusion overlay") for c in explained_pictures(at))
    at.selectbox(key="att_colormap").set_value("Viridis").run()  # redraws from the cache
    assert any(c.startswith("Occlusion overlay") for c in explained_pictures(at))


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_uploads_get_a_readable_error(resnet18_weights, case):
    make, filename = REFUSED[case]
    at = run_page(att_pic="upload")
    at.file_uploader(key="att_upload").upload(filename, make(), "application/octet-stream").run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(f"**{filename}**: ")
    assert not explained_pictures(at)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ACCEPTED))
def test_odd_uploads_are_converted_and_explained(resnet18_weights, case):
    make, filename = ACCEPTED[case]
    at = run_page(att_pic="upload")
    at.file_uploader(key="att_upload").upload(filename, make(), "application/octet-stream").run()
    assert not at.exception, at.exception
    assert not at.error
    assert explained_pictures(at)[1].startswith("Grad-CAM overlay")


def test_upload_notes_say_what_was_done(resnet18_weights):
    at = run_page(att_pic="upload")
    at.file_uploader(key="att_upload").upload("r.jpg", ACCEPTED["EXIF-rotated JPEG"][0](), "image/jpeg").run()
    assert any("EXIF" in c.value for c in at.caption)
    at.file_uploader(key="att_upload").set_value(("p.png", encode(photo(), "PNG"), "image/png")).run()
    assert not any(c.value.startswith("Read:") for c in at.caption)


@pytest.fixture(scope="module")
def trained_pair():
    """A residual and a plain CIFAR-style net briefly trained on shapes, in the app's (test) store."""
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.engine import train
    from resnet_viz.training.store import RunStore

    store = RunStore()
    config = TrainConfig(dataset="shapes", input_size=16, steps=30, num_samples=400, eval_every=30)
    ids = []
    for residual in (True, False):
        spec = ResNetSpec.from_depth(8, style="cifar", residual=residual, num_classes=6)
        name = f"{'ResNet' if residual else 'plain'}-8 pair"
        run_id = store.create_run(name, spec.to_dict(), config.to_dict(), "cpu")
        train(spec, config, store, run_id)
        ids.append(run_id)
    assert os.environ["RESNET_VIZ_HOME"] in str(store.path)
    return ids


def test_trained_runs_are_explained_compared_and_checked(trained_pair):
    residual_id, plain_id = trained_pair
    at = run_page(att_source="run", att_run=residual_id)
    assert f"run #{residual_id} ResNet-8 pair" in at.caption[0].value
    assert "centre-cropped to 16 x 16" in at.caption[0].value
    sample = at.selectbox(key=f"att_sample_run-{residual_id}")
    assert sample.value.startswith("Test picture 1: ")  # the run's own test pictures come first
    assert sample.options[6] == "Photo: flower"
    assert explained_pictures(at)[0] == "What the model sees (16 x 16)"
    assert at.selectbox(key="att_pair_residual").value == residual_id
    assert at.selectbox(key="att_pair_plain").value == plain_id
    captions = image_captions(at)
    assert sum(c.startswith("true: ") for c in captions) == 4  # four test pictures, each with both CAMs
    assert len([c for c in captions if c[:1] in "✓✗"]) == 8

    at.number_input(key="att_check_count").set_value(10)
    at.multiselect(key="att_methods").set_value(["gradcam", "saliency"])
    at.button(key="att_check_go").click().run()
    assert not at.exception, at.exception
    chart = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert chart["data"][0]["x"] == ["Grad-CAM", "Saliency", "Random map (chance)"]
    table = at.dataframe[0].value
    assert list(table["images"]) == [10, 10, 10]
    assert 0 < table["mass inside"].iloc[-1] < 1  # the random map's share is the objects' area


def test_where_it_looks_offers_the_bundled_models_first(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # no ImageNet weights cached
    at = run_page()
    assert at.radio(key="att_source").value == "bundled"
    assert at.selectbox(key="att_bundled").value == "resnet-20-shapes"
    assert not at.error
    assert explained_pictures(at)  # Grad-CAM on one of its own test pictures


def test_a_photo_for_a_small_dataset_model_is_said_to_be_outside_what_it_knows(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # offline: the bundled 16 px shapes model
    at = run_page()
    assert not [w for w in at.warning if "outside what" in w.value]  # its own test picture comes first
    samples = next(s for s in at.selectbox if s.key.startswith("att_sample_"))
    photo_sample = next(option for option in samples.options if not option.startswith("Test picture"))
    samples.set_value(photo_sample).run()
    warning = [w.value for w in at.warning if "outside what" in w.value]
    assert len(warning) == 1 and "16 x 16" in warning[0] and "shapes" in warning[0] and "ImageNet model" in warning[0]
