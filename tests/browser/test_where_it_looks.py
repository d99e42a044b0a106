"""End to end: upload a picture through the real file chooser and see the Grad-CAM overlay appear."""

import os
from pathlib import Path

import pytest
import torch
import torchvision
from conftest import assert_no_exception, screenshot, wait_for_app


@pytest.fixture(scope="module")
def resnet18_weights():
    """torchvision-format ResNet-18 weights (random) where the server's torch cache looks ($TORCH_HOME)."""
    from resnet_viz.probes.explainable import weights_path

    assert os.environ.get("TORCH_HOME"), "tests/conftest.py points TORCH_HOME at a throwaway folder"
    path = weights_path(18)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    yield path
    path.unlink(missing_ok=True)


def upload(page, path: Path) -> None:
    """Click the uploader's button and answer the browser's file chooser, as a user does."""
    remove = page.locator('[data-testid="stFileChipDeleteBtn"]')
    if remove.count():  # one file at a time: take the previous one away first
        remove.first.click()
        wait_for_app(page)
    with page.expect_file_chooser() as chooser:
        page.locator('[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"]').click()
    chooser.value.set_files(str(path))
    wait_for_app(page)


def test_upload_shows_the_overlay_and_bad_files_get_a_message(page, app_url, resnet18_weights, tmp_path):
    page.goto(f"{app_url}/attribution")
    wait_for_app(page)
    assert page.get_by_text("ResNet-18 (ImageNet, IMAGENET1K_V1)").count() == 1
    page.get_by_text("my own", exact=True).click()
    wait_for_app(page)

    from PIL import Image
    from sklearn.datasets import load_sample_image

    photo = tmp_path / "flower.jpg"
    Image.fromarray(load_sample_image("flower.jpg")).save(photo)
    upload(page, photo)
    assert_no_exception(page)
    page.get_by_text("Grad-CAM overlay for").first.wait_for(timeout=60_000)
    overlays = page.locator('[data-testid="stImage"] img')
    assert overlays.count() >= 6  # the picture, its overlay and the layer1..layer4 strip
    assert all(overlays.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(overlays.count()))
    screenshot(page, "attribution-upload")

    junk = tmp_path / "notes.png"
    junk.write_bytes(b"certainly not a picture\n" * 10)
    upload(page, junk)
    assert_no_exception(page)
    assert page.get_by_text("This file is not an image that can be read").count() == 1
    assert page.get_by_text("Grad-CAM overlay for").count() == 0
    screenshot(page, "attribution-bad-upload")
