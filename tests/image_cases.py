"""Odd and hostile uploads, written in memory: shared by the library and page tests."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(width: int = 64, height: int = 48) -> Image.Image:
    """A small RGB picture with a left-right gradient and a red left half (to check orientation)."""
    array = np.zeros((height, width, 3), np.uint8)
    array[..., 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    array[:, : width // 2, 0] = 255
    return Image.fromarray(array, "RGB")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def png16(width: int, height: int, colour_type: int = 0, noisy_every: int = 0) -> bytes:
    """A 16-bit PNG (colour type 0 grey, 6 RGBA) of zeros, with a row of noise every ``noisy_every`` rows.

    All zeros, it is the issue's decompression bomb (7000 x 7000 in 93 KB); with some noise rows, a large
    file that honestly holds that many pixels. Compressed row by row: the raw pixels are never in memory.
    """
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[colour_type]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rng = np.random.default_rng(0)
    compressor, zero, parts = zlib.compressobj(9), b"\0" * (1 + 2 * channels * width), []
    for y in range(height):
        if noisy_every and y % noisy_every == 0:
            row = b"\0" + rng.integers(0, 65535, width * channels, dtype=np.uint16).astype(">u2").tobytes()
        else:
            row = zero
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def dense_webp(width: int, height: int, alpha: bool = False) -> bytes:
    """A lossy WebP of noise over a smooth field: a large file that really holds ``width`` x ``height`` pixels."""
    rng = np.random.default_rng(0)
    channels = 4 if alpha else 3
    field = Image.fromarray(rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, channels), np.uint8))
    field = np.asarray(field.resize((width, height), Image.Resampling.BILINEAR))
    pixels = field // 2 + rng.integers(0, 64, (height, width, channels), np.uint8)
    return encode(Image.fromarray(pixels, "RGBA" if alpha else "RGB"), "WEBP", quality=70, method=0)


def grey16() -> bytes:
    """A 16-bit greyscale PNG: left column black, right column 65535 (white), middle 32768."""
    array = np.zeros((8, 3), np.uint16)
    array[:, 1], array[:, 2] = 32768, 65535
    return encode(Image.fromarray(array), "PNG")  # uint16 -> mode "I;16"


def exif_rotated() -> bytes:
    """A 64x48 JPEG with EXIF orientation 6: shown upright it is 48x64 with the red half on top."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(photo(), "JPEG", exif=exif.tobytes(), quality=95)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def palette_transparent() -> bytes:
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 * 3 - 6))
    image.paste(1, (0, 0, 8, 16))  # left half palette entry 1 (red), right half entry 0 (transparent)
    return encode(image, "PNG", transparency=0)


def rgba_half_transparent() -> bytes:
    array = np.zeros((10, 10, 4), np.uint8)
    array[..., 2] = 255  # blue
    array[..., 3] = 128  # half transparent over white -> light blue
    return encode(Image.fromarray(array, "RGBA"), "PNG")


def truncated_jpeg() -> bytes:
    data = encode(photo(200, 150), "JPEG", quality=95)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    rng = np.random.default_rng(0)
    data = encode(Image.fromarray(rng.integers(0, 255, (100, 100, 3), dtype=np.uint8), "RGB"), "PNG")
    return data[: len(data) // 2]


# name -> (bytes, file name); each is refused with a readable message
REFUSED = {
    "empty file": (lambda: b"", "empty.png"),
    "non-image bytes": (lambda: b"this is plainly not a picture\n" * 20, "notes.jpg"),
    "truncated JPEG": (truncated_jpeg, "cut.jpg"),
    "truncated PNG": (truncated_png, "cut.png"),
    "decompression bomb (Pillow's own limit)": (lambda: png_declaring(100_000, 100_000), "bomb.png"),
    "decompression bomb (our limit)": (lambda: png_declaring(10_000, 9_000), "bomb2.png"),
}

# name -> (bytes, file name); each is read and converted
ACCEPTED = {
    "16-bit greyscale PNG": (grey16, "grey16.png"),
    "CMYK JPEG": (lambda: encode(Image.new("CMYK", (20, 10), (255, 0, 0, 0)), "JPEG"), "cmyk.jpg"),
    "CMYK TIFF": (lambda: encode(Image.new("CMYK", (20, 10), (255, 0, 0, 0)), "TIFF"), "cmyk.tif"),
    "palette PNG with transparency": (palette_transparent, "palette.png"),
    "RGBA PNG": (rgba_half_transparent, "rgba.png"),
    "greyscale JPEG": (lambda: encode(Image.new("L", (30, 20), 100), "JPEG"), "grey.jpg"),
    "animated GIF": (animated_gif, "anim.gif"),
    "EXIF-rotated JPEG": (exif_rotated, "rotated.jpg"),
    "very large JPEG": (lambda: encode(photo(4000, 3000), "JPEG", quality=80), "large.jpg"),
    "WebP": (lambda: encode(photo(), "WEBP"), "photo.webp"),
    "BMP": (lambda: encode(photo(), "BMP"), "photo.bmp"),
    "TIFF": (lambda: encode(photo(), "TIFF"), "photo.tiff"),
    "black-and-white PNG": (lambda: encode(Image.new("1", (9, 9), 1), "PNG"), "bw.png"),
}
