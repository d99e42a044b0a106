"""Images in and out: read an upload safely, preprocess it for a model, and overlay a heat map on it.

Uploads are untrusted bytes. `load_image` either returns a plain RGB picture or raises `ImageError`
with a one-line message a page can show as it is: empty files, non-images, truncated files and
decompression bombs (a tiny file that declares billions of pixels) are refused before any pixels
are decoded; EXIF rotation is applied; 16-bit, CMYK, palette, transparent and greyscale modes are
converted; an animated GIF gives its first frame; very large photos are downscaled.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..assets import ASSETS_DIR
from ..i18n import N_, _

MAX_PIXELS = 50_000_000  # a declared width x height above this is refused (a 50-megapixel photo passes)
# JPEG decodes at 1/2, 1/4 or 1/8 scale (`Image.draft`), so its decoded size stays small; every other format is
# decoded whole (4 bytes a pixel for RGBA) and PNG, GIF, TIFF and BMP compress flat content to almost nothing.
MAX_PIXELS_BY_FORMAT = {"JPEG": MAX_PIXELS, "MPO": MAX_PIXELS}  # formats not listed: `MAX_PIXELS_DECODED`
MAX_PIXELS_DECODED = 25_000_000
# Above 4 megapixels a real picture takes more than 0.01 bytes a pixel even in PNG; a file that declares many
# more pixels than its bytes can describe is a decompression bomb (95 KB declaring 49 megapixels: 0.002).
MIN_BYTES_PER_PIXEL, SPARSE_CHECK_PIXELS = 0.01, 4_000_000
MAX_SIDE = 1024  # larger pictures are downscaled to this longest side on load: models see 224 px anyway
FORMATS = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff")  # what the upload widget accepts


class ImageError(ValueError):
    """An upload that cannot be used; the message is short and meant for the user."""


@dataclass
class LoadedImage:
    """A decoded upload: an RGB picture plus notes on what was done to it (shown under the picture)."""

    image: Image.Image  # mode "RGB", longest side <= MAX_SIDE
    notes: list[str] = field(default_factory=list)  # in the language of the call
    original_size: tuple[int, int] = (0, 0)  # (width, height) as declared by the file


@dataclass(frozen=True)
class Preprocessing:
    """How a model wants its input: resize the shorter side, centre-crop a square, normalise.

    ImageNet weights take these from torchvision's ``weights.transforms()`` (resize 256 or 232, crop
    224); models trained in the app use their dataset's size and statistics (resize = crop).
    """

    crop_size: int
    resize_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    channels: int = 3  # 1 for models trained on greyscale data (digits, MNIST)

    @classmethod
    def from_weights(cls, weights) -> Preprocessing:
        """From a torchvision weights enum member (``ResNet50_Weights.IMAGENET1K_V2``)."""
        transforms = weights.transforms()
        return cls(
            crop_size=int(transforms.crop_size[0]),
            resize_size=int(transforms.resize_size[0]),
            mean=tuple(float(m) for m in transforms.mean),
            std=tuple(float(s) for s in transforms.std),
        )


def load_image(
    source: bytes | BinaryIO | str | os.PathLike, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS
) -> LoadedImage:
    """Decode an untrusted image into an RGB picture, or raise `ImageError` saying why not.

    Args:
        source: the file's bytes, an open binary file, or a path.
        max_side: pictures whose longest side is larger are downscaled to it (aspect kept).
        max_pixels: a declared pixel count above this is refused before decoding (decompression bomb).
    """
    data = _read_bytes(source)
    if not data:
        raise ImageError(_("The file is empty."))
    try:
        return _decode(data, max_side, max_pixels)
    except ImageError:
        raise
    except MemoryError:
        raise ImageError(_("The image needs more memory to decode than is free; please try a smaller one.")) from None
    except Exception as err:  # noqa: BLE001 - damaged files make decoders fail in many ways; all mean the same
        raise ImageError(
            _("The image could not be decoded: it is damaged or an unusual variant of its format ({error}).").format(
                error=type(err).__name__
            )
        ) from None


def _decode(data: bytes, max_side: int, max_pixels: int) -> LoadedImage:
    """Open, check the declared size, decode the first frame, then make it upright, RGB and at most ``max_side``."""
    image = _open(data)
    _refuse_declared_size(image, len(data), max_pixels)
    loaded = LoadedImage(image=image, original_size=image.size)
    if image.format == "WEBP" and getattr(image, "n_frames", 1) == 1 and max(image.size) > 2 * max_side:
        orientation = _exif_orientation(image)
        loaded.image = _decode_webp_reduced(data, image.mode, max(image.size) // max_side)
    else:
        orientation = _load_first_frame(loaded, max_side)
    _make_upright_rgb(loaded, orientation, max_side)
    return loaded


def _open(data: bytes) -> Image.Image:
    """The file's header read (no pixels decoded yet), or `ImageError` for what is not a readable image."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors at twice its limit) on huge images; `_refuse_declared_size` applies ours.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageError(_("The image declares far too many pixels to open safely.")) from None
    except UnidentifiedImageError:
        raise ImageError(_("This file is not an image that can be read (PNG, JPEG, WebP, BMP, GIF or TIFF).")) from None
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageError(_("The image could not be read: {error}.").format(error=err)) from None


def _refuse_declared_size(image: Image.Image, file_bytes: int, max_pixels: int) -> None:
    """`ImageError` before decoding for no pixels, too many for the format, or a decompression bomb."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(_("The image has no pixels."))
    limit = min(max_pixels, MAX_PIXELS_BY_FORMAT.get(image.format, MAX_PIXELS_DECODED))
    if width * height > limit:
        if image.format:
            message = _(
                "The image declares {width} x {height} pixels ({megapixels} megapixels); the limit for {format} is "
                "{limit} megapixels. Please upload a smaller picture."
            )
        else:
            message = _(
                "The image declares {width} x {height} pixels ({megapixels} megapixels); the limit for this format "
                "is {limit} megapixels. Please upload a smaller picture."
            )
        raise ImageError(
            message.format(
                width=width,
                height=height,
                megapixels=f"{width * height / 1e6:,.0f}",
                format=image.format,
                limit=f"{limit / 1e6:,.0f}",
            )
        )
    if image.format not in MAX_PIXELS_BY_FORMAT and width * height > SPARSE_CHECK_PIXELS:
        if file_bytes < MIN_BYTES_PER_PIXEL * width * height:
            raise ImageError(
                _(
                    "The file is {size} KB but declares {megapixels} megapixels: too little data for a real picture "
                    "of that size, so it is not opened."
                ).format(size=f"{file_bytes / 1024:,.0f}", megapixels=f"{width * height / 1e6:,.0f}")
            )


def _load_first_frame(loaded: LoadedImage, max_side: int) -> int | None:
    """Decode the pixels of the first frame (a large JPEG at a reduced scale); returns the EXIF orientation."""
    image, (width, height) = loaded.image, loaded.original_size
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        image.seek(0)
        loaded.notes.append(_("animated image with {frames} frames: showing the first").format(frames=frames))
    if image.format == "JPEG" and max(width, height) > 2 * max_side:
        image.draft("RGB", (max_side, max_side))  # let libjpeg decode at 1/2, 1/4 or 1/8 scale: fast, less memory
    orientation = _exif_orientation(image)
    try:
        image.load()
    except Image.DecompressionBombError:
        raise ImageError(_("The image declares far too many pixels to open safely.")) from None
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        if "truncated" in str(err) or isinstance(err, EOFError):
            raise ImageError(_("The image could not be decoded: it is truncated or damaged.")) from None
        raise ImageError(_("The image could not be decoded: {error}.").format(error=err)) from None
    return orientation


def _decode_webp_reduced(data: bytes, mode: str, factor: int) -> Image.Image:
    """A large still WebP decoded once (libwebp, straight into one (C, H, W) uint8 array) and shrunk ``factor``-fold.

    Pillow's WebP path holds the decoder's two RGBA canvases, a bytes copy of the frame and the image at once: about
    16 bytes a pixel, +370 MB for a 24-megapixel upload. Here the peak is the decoded array (3 or 4 bytes a pixel).
    """
    from torchvision.io import ImageReadMode, decode_webp

    alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa")
    read_mode = ImageReadMode.RGBA if alpha else ImageReadMode.RGB
    pixels = decode_webp(torch.frombuffer(bytearray(data), dtype=torch.uint8), read_mode).numpy()  # (C, H, W)
    reduced = _box_reduce(pixels, factor)
    del pixels
    return Image.fromarray(np.ascontiguousarray(reduced.transpose(1, 2, 0)), "RGBA" if alpha else "RGB")


def _box_reduce(values: np.ndarray, factor: int, scale: float = 1.0) -> np.ndarray:
    """(C, H, W) integers -> (C, H / factor, W / factor) uint8: box means times ``scale``, as `Image.reduce`.

    Computed a band of rows at a time, so the only large array is ``values`` itself (never a float copy of it).
    """
    channels, height, width = values.shape[0], values.shape[1] // factor, values.shape[2] // factor
    out = np.empty((channels, height, width), np.uint8)
    rows = max(1, 250_000 // max(1, channels * width * factor * factor))  # output rows a band: about 1 MB of float32
    for top in range(0, height, rows):
        n = min(rows, height - top)
        block = values[:, top * factor : (top + n) * factor, : width * factor].reshape(
            channels, n, factor, width, factor
        )
        means = block.mean(axis=(2, 4), dtype=np.float32)  # (C, n, W / factor)
        out[:, top : top + n] = np.clip(np.rint(means * scale), 0, 255)
    return out


def _make_upright_rgb(loaded: LoadedImage, orientation: int | None, max_side: int) -> None:
    """Turn the decoded picture upright, into RGB, with its longest side at most ``max_side``."""
    image, (width, height) = loaded.image, loaded.original_size
    # Shrink first (a whole factor, cheap and memory-light), so mode conversion and alpha compositing
    # only ever touch a picture of about max_side; the final LANCZOS resize below gives the exact size.
    image = _shrink(image, max(image.size) // max_side)
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])
        loaded.notes.append(_("turned upright as its EXIF orientation says"))

    image, note = _to_rgb(image)
    if note:
        loaded.notes.append(note)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if max(width, height) > max_side:  # the JPEG draft above may already have shrunk it
        loaded.notes.append(
            _("downscaled from {width} x {height} to {new_width} x {new_height}").format(
                width=width, height=height, new_width=image.size[0], new_height=image.size[1]
            )
        )
    loaded.image = image


_TRANSPOSE = {  # EXIF orientation -> the transposition that makes the picture upright (as ImageOps.exif_transpose)
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


def _shrink(image: Image.Image, factor: int) -> Image.Image:
    """Shrink by a whole ``factor`` (box average) without converting the whole picture first.

    16-bit greyscale also becomes 8-bit here, on the shrunk values (never a float64 copy of the whole).
    """
    if image.mode in _SIXTEEN_BIT:
        values = np.asarray(image)  # (H, W) uint16: the one full-size copy
        grey = _box_reduce(values[None], max(1, factor), scale=1 / 257.0)[0]  # 65535 -> 255
        shrunk = Image.fromarray(grey, "L")
        shrunk.info["converted_from"] = image.mode
        return shrunk
    if factor < 2:
        return image
    size = (max(1, image.size[0] // factor), max(1, image.size[1] // factor))
    if image.mode == "P":  # palette indices cannot be averaged: keep every factor-th pixel
        return image.resize(size, Image.Resampling.NEAREST)
    if image.mode == "1":
        image = image.convert("L")
    try:
        return image.reduce(factor)
    except (ValueError, NotImplementedError):
        return image.resize(size, Image.Resampling.BOX)


def _read_bytes(source) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        try:
            return Path(source).read_bytes()
        except OSError as err:
            raise ImageError(_("The file could not be read: {error}.").format(error=err.strerror or err)) from None
    return source.read()


def _exif_orientation(image: Image.Image) -> int | None:
    try:
        return image.getexif().get(0x0112)  # the EXIF Orientation tag
    except (OSError, ValueError, SyntaxError, TypeError):
        return None


def _to_rgb(image: Image.Image) -> tuple[Image.Image, str | None]:
    """Any Pillow mode -> 8-bit RGB, with a note for the user when the conversion is not trivial."""
    mode = image.mode
    if mode == "RGB":
        return image, None
    if image.info.get("converted_from") in _SIXTEEN_BIT:  # `_shrink` made it 8-bit already
        return image.convert("RGB"), _("converted from 16-bit greyscale to 8-bit RGB")
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # 16-bit and 32-bit greyscale: Pillow's convert("L") clips at 255 (a white picture); rescale instead.
        values = np.asarray(image, dtype=np.float64)
        if mode.startswith("I;16"):
            high = 65535.0
        else:
            finite = values[np.isfinite(values)]
            low, top = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            values, high = values - low, max(top - low, 1e-12)
        grey = np.clip(np.nan_to_num(values) / high * 255.0, 0, 255).round().astype(np.uint8)
        note = _("converted from {mode} to 8-bit RGB").format(mode=_(_MODE_NAMES.get(mode, mode)))
        return Image.fromarray(grey, "L").convert("RGB"), note
    if mode == "P" and "transparency" in image.info or mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB"), _("transparent parts shown on white")
    # A palette is lossless: no note.
    note = None if mode == "P" else _("converted from {mode} to RGB").format(mode=_(_MODE_NAMES.get(mode, mode)))
    try:
        return image.convert("RGB"), note
    except (ValueError, OSError) as err:
        raise ImageError(
            _("Images in colour mode {mode} are not supported ({error}).").format(mode=mode, error=err)
        ) from None


_MODE_NAMES = {  # translated where shown
    "1": N_("black and white"),
    "L": N_("greyscale"),
    "P": N_("a palette"),
    "CMYK": "CMYK",
    "YCbCr": "YCbCr",
    "LAB": "Lab",
    "HSV": "HSV",
    "I;16": N_("16-bit greyscale"),
    "I;16L": N_("16-bit greyscale"),
    "I;16B": N_("16-bit greyscale"),
    "I;16N": N_("16-bit greyscale"),
    "I": N_("32-bit greyscale"),
    "F": N_("floating-point greyscale"),
}


# ---------------------------------------------------------------------- model input
def to_model_input(image: Image.Image, preprocessing: Preprocessing) -> tuple[torch.Tensor, Image.Image]:
    """Resize the shorter side, centre-crop, normalise: the picture as the model sees it.

    Returns:
        x: (1, C, crop, crop) float32, normalised with the model's mean and std;
        shown: the cropped RGB picture (crop x crop), for overlays that line up with ``x``.
    """
    shown = _resize_and_crop(image.convert("RGB"), preprocessing.resize_size, preprocessing.crop_size)
    pixels = torch.from_numpy(np.asarray(shown, dtype=np.float32) / 255.0).permute(2, 0, 1)  # (3, crop, crop)
    if preprocessing.channels == 1:
        pixels = (pixels * torch.tensor([0.299, 0.587, 0.114])[:, None, None]).sum(0, keepdim=True)  # (1, H, W)
    mean = torch.tensor(preprocessing.mean, dtype=torch.float32)[:, None, None]
    std = torch.tensor(preprocessing.std, dtype=torch.float32)[:, None, None]
    return ((pixels - mean) / std)[None], shown  # (1, C, crop, crop)


def _resize_and_crop(image: Image.Image, resize: int, crop: int) -> Image.Image:
    """torchvision's steps of `weights.transforms()` on a picture: the shorter side resized to ``resize`` (bilinear),
    then the centre ``crop`` x ``crop``.

    The same PIL calls torchvision's ``resize`` and ``center_crop`` make on a PIL picture, written out because
    importing torchvision.transforms takes seconds (torch._dynamo with it), and "Where it looks" prepares its first
    picture at first sight; tests/probes/test_images.py checks them against torchvision's pixel for pixel. A crop
    larger than the resized picture (torchvision pads it) goes through torchvision itself.
    """
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_long = int(resize * long / short)
    size = (resize, new_long) if width <= height else (new_long, resize)  # (width, height)
    if size != image.size:
        image = image.resize(size, Image.BILINEAR)
    if crop > min(size):
        from torchvision.transforms import functional as TF

        return TF.center_crop(image, [crop])
    if size == (crop, crop):
        return image
    top, left = int(round((size[1] - crop) / 2.0)), int(round((size[0] - crop) / 2.0))
    return image.crop((left, top, left + crop, top + crop))


def to_picture(x: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> Image.Image:
    """Undo normalisation: a (C, H, W) or (1, C, H, W) tensor -> an RGB picture (greyscale repeated)."""
    x = x.detach().float().cpu().reshape(-1, *x.shape[-2:])  # (C, H, W)
    pixels = x * torch.tensor(std)[:, None, None] + torch.tensor(mean)[:, None, None]
    if pixels.shape[0] == 1:
        pixels = pixels.repeat(3, 1, 1)
    array = (pixels.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()  # (H, W, 3)
    return Image.fromarray(np.ascontiguousarray(array), "RGB")


# ---------------------------------------------------------------------- overlays
COLORMAPS = ("Turbo", "Jet", "Viridis", "Inferno", "Hot")


def colorize(heatmap: torch.Tensor | np.ndarray, colormap: str = "Turbo") -> np.ndarray:
    """A 2-D map -> (H, W, 3) uint8 colours; the map is scaled to [0, 1] by its own maximum first."""
    values = _unit_scale(heatmap)
    lut = _lookup_table(colormap)  # (256, 3) uint8
    return lut[np.round(values * 255).astype(np.int64)]


def overlay(image: Image.Image, heatmap: torch.Tensor | np.ndarray, colormap: str = "Turbo", opacity: float = 0.5):
    """Blend a heat map over a picture of the same size: ``(1 - a) * image + a * colours``.

    The opacity ``a`` grows with the map's value, so regions the map ignores keep the photo visible.

    Returns:
        (H, W, 3) uint8 array, ready for ``st.image``.
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"Opacity must be between 0 and 1; got {opacity}.")
    values = _unit_scale(heatmap)  # (H, W) in [0, 1]
    if (values.shape[1], values.shape[0]) != image.size:
        raise ValueError(
            f"The map is {values.shape[1]}x{values.shape[0]} but the picture is {image.size[0]}x{image.size[1]}."
        )
    base = np.asarray(image.convert("RGB"), dtype=np.float32)
    colours = colorize(values, colormap).astype(np.float32)
    alpha = opacity * np.sqrt(values)[..., None]  # sqrt: weak but non-zero evidence stays visible
    return np.clip((1 - alpha) * base + alpha * colours, 0, 255).round().astype(np.uint8)


def _unit_scale(heatmap) -> np.ndarray:
    values = heatmap.detach().float().cpu().numpy() if isinstance(heatmap, torch.Tensor) else np.asarray(heatmap)
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if values.ndim != 2:
        raise ValueError(f"A heat map must be 2-D (H, W); got shape {values.shape}.")
    values = np.clip(values, 0, None)
    top = values.max()
    return values / top if top > 0 else values


_LUTS: dict[str, np.ndarray] = {}


def _lookup_table(colormap: str) -> np.ndarray:
    """256 colours sampled from a plotly colour scale (no matplotlib needed)."""
    if colormap not in COLORMAPS:
        raise ValueError(f"Unknown colour map {colormap!r}; choose one of {', '.join(COLORMAPS)}.")
    if colormap not in _LUTS:
        from plotly.colors import get_colorscale, sample_colorscale, unlabel_rgb

        scale = get_colorscale(colormap)
        colours = sample_colorscale(scale, [i / 255 for i in range(256)], colortype="rgb")
        _LUTS[colormap] = np.array([unlabel_rgb(c) for c in colours], dtype=np.float64).round().astype(np.uint8)
    return _LUTS[colormap]


# ---------------------------------------------------------------------- bundled samples
@dataclass
class Sample:
    """A picture the project may ship, with where it comes from."""

    name: str  # English, the sample's identity ("Photo: flower"); `label` is the name to show
    image: Image.Image
    credit: str  # a message marked with N_ (or text already in the user's language): translate where shown
    mask: np.ndarray | None = None  # (H, W) bool object mask, for generated shapes
    label_message: str = ""  # the name as a message with {fields} (marked with N_); "" when ``name`` is the message
    label_fields: dict = field(default_factory=dict)  # its fields; text values are translated too (a shape's name)

    def label(self) -> str:
        """The sample's name in the user's language."""
        fields = {key: _(value) if isinstance(value, str) else value for key, value in self.label_fields.items()}
        return _(self.label_message or self.name).format(**fields)


# The photos in assets/samples/ (licences in its CREDITS.md): file, name, credit shown under the photo.
SAMPLE_PHOTOS = (
    ("flower.jpg", N_("Photo: flower"), N_("Photo by vultilion (CC BY 2.0), as bundled with scikit-learn")),
    (
        "china.jpg",
        N_("Photo: Summer Palace, Beijing"),
        N_("Photo by danielbuechele (CC BY 2.0), as bundled with scikit-learn"),
    ),
)
SAMPLES_DIR = ASSETS_DIR / "samples"


def bundled_samples(size: int = 224) -> list[Sample]:
    """The two photos in ``assets/samples/`` (CC BY 2.0) and three generated shapes with their masks."""
    from ..training.generated import SHAPE_CLASSES, make_shapes

    samples = []
    for filename, name, credit in SAMPLE_PHOTOS:
        with Image.open(SAMPLES_DIR / filename) as photo:
            samples.append(Sample(name, photo.convert("RGB"), credit))
    images, labels, masks = make_shapes(3, size, seed=7)
    for image, label, mask in zip(images, labels.tolist(), masks):
        samples.append(
            Sample(
                f"Generated: {SHAPE_CLASSES[label]}",
                Image.fromarray(image.permute(1, 2, 0).numpy(), "RGB"),
                N_("Generated by resnet_viz (the shapes dataset)"),
                mask.numpy(),
                N_("Generated: {shape}"),
                {"shape": SHAPE_CLASSES[label]},
            )
        )
    return samples
