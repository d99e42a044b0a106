"""The papers' numbers come from one data file, assets/paper_numbers.json (resnet_viz.nets.published)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_viz.assets import ASSETS_DIR
from resnet_viz.nets.published import PAPER_NUMBERS, by_depth, published, source, values

ROOT = Path(__file__).resolve().parents[2]


def test_the_data_file_loads_and_every_entry_says_where_it_comes_from():
    assert ASSETS_DIR == ROOT / "assets" and PAPER_NUMBERS.is_file()
    json.loads(PAPER_NUMBERS.read_text(encoding="utf-8"))
    entries = published()
    assert len(entries) >= 10
    for key, entry in entries.items():
        assert entry["source"].startswith("He et al. 201"), key
        assert entry["what"] and entry["unit"] and entry["values"], key


def test_values_are_the_ones_the_other_tests_check():
    # test_analysis.PAPER_GMACS and test_model's Table 6 parameters (shared/reference/paper_numbers.md).
    assert by_depth("table1_gmacs") == {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
    assert by_depth("table6_params_m") == {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7, 1202: 19.4}
    assert by_depth("preact_params_m") == {164: 1.7, 1001: 10.2}
    assert source("table1_gmacs") == "He et al. 2015, Table 1"  # test_cli looks for it in the table command


def test_tables_2_and_3_for_the_home_page():
    assert values("table2_top1_error") == {"plain-18": 27.94, "plain-34": 28.54, "ResNet-18": 27.88, "ResNet-34": 25.03}
    table3 = values("table3_top1_error")
    assert (table3["ResNet-34 A"], table3["ResNet-34 B"], table3["ResNet-34 C"]) == (25.03, 24.52, 24.19)
    assert table3["ResNet-34 A"] == values("table2_top1_error")["ResNet-34"]  # Table 2's ResNet-34 is option A


def test_identity_mappings_numbers_reach_the_labs():
    from resnet_viz.nets.spec import SHORTCUT_VARIANTS, UNITS
    from resnet_viz.training.labs import PAPER_SHORTCUT_ERRORS, PAPER_UNIT_ERRORS

    assert PAPER_UNIT_ERRORS == {
        "original": 6.61,
        "bn_after_add": 8.17,
        "relu_before_add": 7.84,
        "relu_preact": 6.71,
        "preact": 6.37,
    }
    assert PAPER_SHORTCUT_ERRORS["scaling"] == 12.35 and PAPER_SHORTCUT_ERRORS["dropout"] is None
    assert set(PAPER_UNIT_ERRORS) == set(UNITS) and set(PAPER_SHORTCUT_ERRORS) == set(SHORTCUT_VARIANTS)


def test_unknown_entries_are_named():
    with pytest.raises(KeyError, match="table1_gmacs"):
        values("table99")


def test_published_numbers_load_without_torch():
    code = "import sys\nfrom resnet_viz.nets.published import values\nvalues('table2_top1_error')\n"
    code += "assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
