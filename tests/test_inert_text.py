"""Names users type stay text for every other user: no links, no HTML, in Markdown and in plotly labels."""

import re

import pandas as pd
import pytest

from resnet_viz.figures.gradients import spread_over_training
from resnet_viz.figures.training import training_curves
from resnet_viz.formatting import figure_text
from ui.text import WORD_JOINER, plain

# GitHub-flavoured Markdown's literal autolinks (mdast-util-gfm-autolink-literal): URLs, www. and e-mail addresses.
GFM_AUTOLINK = re.compile(r"(https?:\\?/\\?/|www(?=\.))|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE)
HOSTILE = '<a href="http://127.0.0.1:9/z">z</a> www.example.com HTTPS://EXAMPLE.COM/x a@example.com [x](http://y)'


@pytest.mark.parametrize(
    "name", ["www.example.com", "Www.Example.org", "http://127.0.0.1:9/a", "HTTPS://X.COM", "mail a@example.com"]
)
def test_plain_breaks_every_literal_autolink(name):
    text = plain(name)
    assert not GFM_AUTOLINK.search(text.replace("\\", "")), text  # escapes are resolved before autolinking
    assert text.replace(WORD_JOINER, "").replace("\\", "") == name  # and it reads the same


def test_plain_escapes_markup_and_leaves_ordinary_names_alone():
    assert plain("ResNet-20 lr 0.1 (digits)") == "ResNet-20 lr 0.1 (digits)"
    assert not re.search(r"(?<!\\)[<>\[\]]", plain(HOSTILE))  # every bracket escaped: no tag, no link


def test_figure_text_keeps_tags_and_entities_as_text():
    assert figure_text('<a href="x">&amp;</a>') == '&lt;a href="x"&gt;&amp;amp;&lt;/a&gt;'
    assert figure_text("ResNet-20 (#3)") == "ResNet-20 (#3)"


def _labels(fig) -> list[str]:
    """Every text plotly would render as HTML in ``fig``: trace names, hover templates, titles, annotations."""
    texts = [t.name or "" for t in fig.data] + [t.hovertemplate or "" for t in fig.data]
    texts += [fig.layout.title.text or ""] + [a.text or "" for a in fig.layout.annotations]
    return texts


def test_run_names_reach_figures_as_text():
    runs = pd.DataFrame([{"id": 1, "name": HOSTILE}])
    metrics = pd.DataFrame(
        {
            "run_id": [1, 1],
            "step": [1, 2],
            "train_loss": [2.0, 1.0],
            "train_error": [0.5, 0.4],
            "test_error": [0.6, 0.5],
        }
    )
    spreads = pd.DataFrame({"run_id": [1, 1], "step": [1, 2], "spread": [1.0, 2.0]})
    for fig in (training_curves(metrics, runs), spread_over_training(spreads, {1: HOSTILE})):
        labels = _labels(fig)
        assert any("&lt;a href" in text for text in labels)
        assert not any("<a" in text for text in labels), labels
