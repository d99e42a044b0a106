"""The Lesson's precomputed experiments: listed with their checksum, and reproduced by their command at a small size."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from resnet_viz.probes.lesson_results import CHECK, COMMAND, DEFAULTS, experiments
from resnet_viz.shipped import LESSON_PATH, lesson_results, lesson_settings
from resnet_viz.training.bundled import MANIFEST, MODELS_DIR, sha256


def test_the_shipped_results_are_listed_with_their_checksum_and_models():
    manifest = json.loads((MODELS_DIR / MANIFEST).read_text())
    assert manifest["lesson_results"] == {"file": LESSON_PATH.name, "sha256": sha256(LESSON_PATH), "command": COMMAND}
    shipped = json.loads(LESSON_PATH.read_text())
    assert shipped["command"] == COMMAND and shipped["settings"] == DEFAULTS == lesson_settings()
    for name, digest in shipped["models"].items():  # computed from the models that ship now
        assert manifest["models"][name]["sha256"] == digest
    lesion = lesson_results("lesion")
    assert set(lesion) == {"plain-56", "ResNet-56"}
    assert len(lesion["ResNet-56"]) == 1 + 27  # the intact model, then each of its 27 blocks deleted


@pytest.mark.slow
def test_the_command_reproduces_its_small_check():
    """The same experiments at `CHECK`'s small size, run again here, match what the command recorded."""
    recorded = json.loads(LESSON_PATH.read_text())["check"]
    assert recorded["settings"] == CHECK
    again = experiments(CHECK)
    for experiment, tables in recorded["results"].items():
        assert set(again[experiment]) == set(tables), experiment
        for name, rows in tables.items():
            pd.testing.assert_frame_equal(
                pd.DataFrame(again[experiment][name]), pd.DataFrame(rows), check_exact=False, rtol=1e-4, atol=1e-6
            )
