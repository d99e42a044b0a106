"""Numbers and shapes as people read them: ``12.3M`` parameters, ``56x56x64`` maps.

Torch-free, so the app can format before torch has loaded.
"""

from __future__ import annotations

from .i18n import _

# Decimal prefixes, largest first; thousands are "k" (SI).
PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def prefix_of(n: float) -> tuple[float, str]:
    """The scale and prefix that bring ``|n|`` between 1 and 1000: (1e6, "M"), (1e9, "G"), (1.0, "")..."""
    for factor, prefix in PREFIXES:
        if abs(n) >= factor:
            return factor, prefix
    return 1.0, ""


def human(n: float, unit: str = "") -> str:
    """12_345_678 -> "12.3M"; 3.86e9 -> "3.86G"; 9536 -> "9.54k"; 512 -> "512"; with ``unit``: "1.2GB"."""
    factor, prefix = prefix_of(n)
    if not prefix:
        return f"{n:,.0f}{unit}"
    value = n / factor
    return f"{value:.3g}{prefix}{unit}" if value < 100 else f"{value:,.0f}{prefix}{unit}"


def format_shape(shape: tuple[int, ...]) -> str:
    """Paper notation, spatial first: (64, 56, 56) -> "56x56x64"; (512,) -> "512"."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return "x".join(str(s) for s in shape)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def human_factor(log10_ratio: float) -> str:
    """A ratio given as its log10, as people read it: 1.1 -> "12.6"; 3.2 -> "about 1,600"; 43.4 -> "about 10⁴³".

    Never prints a 40-digit number: from a million on, only the power of ten is meaningful.
    """
    if log10_ratio < 2:
        return f"{10**log10_ratio:,.1f}"
    if log10_ratio < 6:
        return _("about {value}").format(value=f"{float(f'{10**log10_ratio:.2g}'):,.0f}")
    return _("about {value}").format(value="10" + str(round(log10_ratio)).translate(_SUPERSCRIPT))


def format_bytes(n: int) -> str:
    """Bytes in binary units for memory messages: 3.2 GiB, 512 MiB."""
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


def figure_text(text: object) -> str:
    """``text`` a user typed (a run's name) for a plotly label (trace name, title, tick, hover), shown literally.

    Plotly reads its labels as a small HTML (``<a href>``, ``<b>``, ``<br>``) and shows entities as their
    characters, so escaping ``&``, ``<`` and ``>`` keeps ``<a href="...">`` as text in every viewer's legend.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
