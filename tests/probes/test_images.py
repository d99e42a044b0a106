"""Reading untrusted uploads, preprocessing for a model, overlays and the bundled samples."""

import io
import os

import numpy as np
import pytest
import torch
from image_cases import ACCEPTED, REFUSED, encode, photo
from PIL import Image

from resnet_viz.probes.images import (
    MAX_SIDE,
    ImageError,
    Preprocessing,
    bundled_samples,
    colorize,
    load_image,
    overlay,
    to_model_input,
    to_picture,
)


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_uploads_are_refused_with_a_short_readable_message(case):
    make, _ = REFUSED[case]
    with pytest.raises(ImageError) as err:
        load_image(make())
    message = str(err.value)
    assert 10 < len(message) < 200 and "Traceback" not in message and "\n" not in message


def test_each_refusal_says_what_is_wrong():
    reasons = {case: str(_refusal(make())) for case, (make, _) in REFUSED.items()}
    assert "empty" in reasons["empty file"]
    assert "not an image" in reasons["non-image bytes"]
    assert "truncated" in reasons["truncated JPEG"] and "truncated" in reasons["truncated PNG"]
    assert "too many pixels" in reasons["decompression bomb (Pillow's own limit)"]
    assert (
        "10000 x 9000" in reasons["decompression bomb (our limit)"]
        and "25 megapixels" in reasons["decompression bomb (our limit)"]
    )


def _refusal(data: bytes) -> ImageError:
    try:
        load_image(data)
    except ImageError as err:
        return err
    raise AssertionError("accepted")


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_odd_but_valid_uploads_become_rgb_pictures(case):
    make, _ = ACCEPTED[case]
    loaded = load_image(make())
    assert loaded.image.mode == "RGB"
    assert max(loaded.image.size) <= MAX_SIDE and min(loaded.image.size) >= 1


def test_16_bit_greyscale_is_rescaled_not_clipped():
    loaded = load_image(ACCEPTED["16-bit greyscale PNG"][0]())
    row = np.asarray(loaded.image)[0]  # (3 columns, RGB)
    assert row[:, 0].tolist() == [0, 128, 255]  # 0, 32768, 65535 -> 0, 128, 255 (clipping would give 0, 255, 255)
    assert "16-bit" in loaded.notes[0]


def test_cmyk_becomes_the_right_colour():
    for case in ("CMYK JPEG", "CMYK TIFF"):
        pixel = load_image(ACCEPTED[case][0]()).image.getpixel((5, 5))
        assert pixel[0] < 30 and pixel[1] > 225 and pixel[2] > 225, (case, pixel)  # pure cyan


def test_transparency_is_shown_on_white():
    palette = load_image(ACCEPTED["palette PNG with transparency"][0]()).image
    assert palette.getpixel((2, 2)) == (255, 0, 0) and palette.getpixel((12, 2)) == (255, 255, 255)
    rgba = load_image(ACCEPTED["RGBA PNG"][0]()).image.getpixel((5, 5))
    assert abs(rgba[0] - 127) <= 2 and rgba[2] == 255  # half-transparent blue over white


def test_animated_gif_gives_its_first_frame():
    loaded = load_image(ACCEPTED["animated GIF"][0]())
    assert loaded.image.getpixel((10, 10)) == (255, 0, 0)
    assert any("3 frames" in note for note in loaded.notes)


def test_exif_rotation_is_applied():
    loaded = load_image(ACCEPTED["EXIF-rotated JPEG"][0]())
    assert loaded.image.size == (48, 64)  # stored 64x48, orientation 6 = turn 90 degrees clockwise
    top, bottom = loaded.image.getpixel((24, 5)), loaded.image.getpixel((24, 58))
    assert top[0] > 200 and bottom[0] < 50  # the red (left) half is now on top
    assert any("EXIF" in note for note in loaded.notes)


def test_very_large_photos_are_downscaled():
    loaded = load_image(ACCEPTED["very large JPEG"][0]())
    assert loaded.image.size == (1024, 768) and loaded.original_size == (4000, 3000)
    assert "downscaled from 4000 x 3000" in loaded.notes[0]


def test_paths_and_file_objects_are_read(tmp_path):
    path = tmp_path / "p.png"
    path.write_bytes(encode(photo(), "PNG"))
    assert load_image(path).image.size == (64, 48)
    with open(path, "rb") as file:
        assert load_image(file).image.size == (64, 48)
    with pytest.raises(ImageError, match="could not be read"):
        load_image(tmp_path / "missing.png")


def test_model_input_resizes_crops_and_normalises():
    prep = Preprocessing(crop_size=32, resize_size=40, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    x, shown = to_model_input(photo(80, 40), prep)
    assert x.shape == (1, 3, 32, 32) and shown.size == (32, 32)
    expected = (torch.from_numpy(np.asarray(shown, dtype=np.float32) / 255).permute(2, 0, 1) - 0.5) / 0.25
    torch.testing.assert_close(x[0], expected)
    back = to_picture(x, prep.mean, prep.std)
    assert np.abs(np.asarray(back, dtype=int) - np.asarray(shown, dtype=int)).max() <= 1


@pytest.mark.parametrize(
    ("size", "resize", "crop"),
    [((80, 40), 40, 32), ((40, 80), 40, 32), ((640, 427), 256, 224), ((333, 500), 232, 224), ((16, 16), 16, 16),
     ((8, 8), 16, 16), ((37, 53), 16, 16), ((50, 30), 20, 24)],
)  # fmt: skip
def test_resize_and_crop_are_torchvisions_pixel_for_pixel(size, resize, crop):
    """The written-out resize and centre crop (no torchvision import at first sight) give torchvision's pixels."""
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF

    from resnet_viz.probes.images import _resize_and_crop

    rng = np.random.default_rng(0)
    picture = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    theirs = TF.center_crop(TF.resize(picture, [resize], InterpolationMode.BILINEAR, antialias=True), [crop])
    ours = _resize_and_crop(picture, resize, crop)
    assert ours.size == theirs.size and np.array_equal(np.asarray(ours), np.asarray(theirs))


def test_greyscale_models_get_one_channel():
    prep = Preprocessing(crop_size=16, resize_size=16, mean=(0.2,), std=(0.3,), channels=1)
    x, _ = to_model_input(Image.new("RGB", (16, 16), (255, 255, 255)), prep)
    assert x.shape == (1, 1, 16, 16)
    torch.testing.assert_close(x, torch.full_like(x, (1.0 - 0.2) / 0.3))


def test_preprocessing_comes_from_torchvision_weights():
    from torchvision.models import ResNet50_Weights

    prep = Preprocessing.from_weights(ResNet50_Weights.IMAGENET1K_V2)
    assert (prep.crop_size, prep.resize_size) == (224, 232)
    assert prep.mean == pytest.approx((0.485, 0.456, 0.406)) and prep.std == pytest.approx((0.229, 0.224, 0.225))


def test_overlay_blends_by_the_maps_value():
    image = Image.new("RGB", (4, 2), (0, 0, 0))
    heatmap = torch.tensor([[0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    blended = overlay(image, heatmap, "Hot", opacity=1.0)
    assert blended.shape == (2, 4, 3) and blended.dtype == np.uint8
    assert blended[0, 0].tolist() == [0, 0, 0]  # zero evidence: the photo shows through untouched
    assert blended[0, 3].tolist() == colorize(heatmap, "Hot")[0, 3].tolist()  # the maximum: full colour
    half = overlay(image, heatmap, "Hot", opacity=0.5)[0, 3]
    assert np.abs(half.astype(int) - colorize(heatmap, "Hot")[0, 3] // 2).max() <= 1
    with pytest.raises(ValueError, match="Opacity"):
        overlay(image, heatmap, opacity=1.5)
    with pytest.raises(ValueError, match="4x2"):
        overlay(Image.new("RGB", (5, 5)), heatmap)


def test_bundled_samples_are_pictures_with_credits():
    samples = bundled_samples(64)
    assert len(samples) >= 4 and all(s.image.mode == "RGB" and s.credit for s in samples)
    generated = [s for s in samples if s.mask is not None]
    assert generated and all(s.mask.shape == (64, 64) and 0 < s.mask.mean() < 1 for s in generated)


@pytest.mark.slow
def test_sample_photos_come_from_assets_without_scikit_learn():
    import subprocess
    import sys
    from pathlib import Path

    from resnet_viz.probes.images import SAMPLE_PHOTOS, SAMPLES_DIR

    assert SAMPLES_DIR.is_dir() and (SAMPLES_DIR / "CREDITS.md").is_file()
    for filename, _, _ in SAMPLE_PHOTOS:
        with Image.open(SAMPLES_DIR / filename) as photo:
            assert photo.format == "JPEG" and max(photo.size) <= 640
    code = (
        "import sys\nfrom resnet_viz.probes.images import bundled_samples\nbundled_samples(32)\n"
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on the damaged TIFF tags it skips
def test_damaged_files_only_ever_raise_image_error():
    """Random byte damage to valid files of every format: a picture or an ImageError, never anything else."""
    import random

    rng = random.Random(0)
    originals = [encode(photo(), fmt) for fmt in ("PNG", "JPEG", "GIF", "TIFF", "BMP", "WEBP")]
    originals += [make() for make, _ in ACCEPTED.values() if make is not ACCEPTED["very large JPEG"][0]]
    outcomes = {"read": 0, "refused": 0}
    for _ in range(600):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        try:
            assert load_image(bytes(data)).image.mode == "RGB"
            outcomes["read"] += 1
        except ImageError:
            outcomes["refused"] += 1
    assert outcomes["read"] > 50 and outcomes["refused"] > 50  # both paths were really exercised


PEAK = """
import json, sys
sys.path.insert(0, "tests")
from image_cases import dense_webp, png16
from resnet_viz.probes.images import ImageError, load_image
import torchvision.io  # imported once a server (the WebP decoder), not counted as an upload's memory
def peak_rss():  # VmHWM, the peak resident set, which writing 5 to clear_refs resets to the current size
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
data = {"png16": png16, "webp": dense_webp}[sys.argv[1]](*json.loads(sys.argv[2]))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = peak_rss()
try:
    result = load_image(data)
    outcome = [result.image.mode, list(result.image.size)]
except ImageError as err:
    outcome = str(err)
growth = peak_rss() - before
print(json.dumps({"growth": growth, "outcome": outcome}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's peak-RSS reset")
@pytest.mark.parametrize(
    "kind, case, accepted, size",
    [
        ("png16", (7000, 7000, 0, 0), False, None),  # the 93 KB 16-bit PNG declaring 49 megapixels (+1.2 GB)
        ("png16", (7000, 7000, 6, 0), False, None),  # the same in 16-bit RGBA (alpha compositing at full size: +0.9 GB)
        ("png16", (4000, 4000, 0, 64), True, [1024, 1024]),  # 16 megapixels of real 16-bit grey data (was +400 MB)
        ("png16", (4000, 4000, 6, 64), True, [1024, 1024]),  # 16 megapixels of 16-bit RGBA (was +300 MB)
        ("webp", (4990, 5000, False), True, [1022, 1024]),  # a dense WebP just under the 25-megapixel cap (+370 MB)
        ("webp", (5000, 4990, True), True, [1024, 1022]),  # the same with alpha
    ],
)
@pytest.mark.slow
def test_decoding_a_large_upload_keeps_peak_memory_bounded(kind, case, accepted, size):
    """Peak resident memory of the decode, in a fresh process: under 200 MB whether it is refused or shrunk."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", PEAK, kind, json.dumps(case)], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["growth"] < 200 * 1024**2, result
    if accepted:
        assert result["outcome"] == ["RGB", size]
    else:
        assert "megapixels" in result["outcome"]


@pytest.mark.slow  # encoding the 3-megapixel WebP
def test_a_large_webp_decoded_small_matches_pillows_full_decode():
    """The memory-light WebP path (libwebp into one array, box-reduced in bands) gives Pillow's picture."""
    from image_cases import dense_webp

    data = dense_webp(2100, 1500)
    loaded = load_image(data)
    assert loaded.image.size == (1024, 731) and any("downscaled from 2100 x 1500" in n for n in loaded.notes)
    reference = Image.open(io.BytesIO(data)).convert("RGB").reduce(2)
    reference.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    difference = np.abs(np.asarray(loaded.image, np.int16) - np.asarray(reference, np.int16))
    assert difference.mean() < 0.5 and difference.max() <= 4  # rounding, then the LANCZOS resize
