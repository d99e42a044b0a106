"""The colours and font every figure shares, without Plotly: `style` (Plotly figures) and `svg` (pictures drawn
before Plotly's JavaScript has loaded) both take them from here.

Okabe & Ito (2008), "Color Universal Design": eight colours that stay distinguishable with every
common colour-vision deficiency. Data series take `PALETTE` in order (`series_colour`); meanings keep
one colour across figures: blue for the shortcut / identity and for "the method", vermillion for a
projection, orange for what stands out (the explained class, downsampling), neutral grey for
references (chance level, the paper's numbers).
"""

from __future__ import annotations

# Okabe & Ito (2008).
BLACK, ORANGE, SKY_BLUE, GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
YELLOW, BLUE, VERMILLION, PURPLE = "#F0E442", "#0072B2", "#D55E00", "#CC79A7"
# Colours of data series, in order of use.
PALETTE = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE, YELLOW, BLACK)
# Greys for text, structure and references (never a data series of its own): text, secondary text,
# outlines of boxes, references and paths, grid lines, light bands.
INK, GREY, OUTLINE, NEUTRAL, GRID, LIGHT = "#222222", "#777777", "#555555", "#999999", "#E6E6E6", "#F1F4F8"

FONT_FAMILY, FONT_SIZE = "Arial, Helvetica, sans-serif", 13


def series_colour(i: int) -> str:
    """The colour of the ``i``-th data series (the palette repeats after eight)."""
    return PALETTE[i % len(PALETTE)]
