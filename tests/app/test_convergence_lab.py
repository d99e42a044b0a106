"""The Degradation lab's faster-convergence pair, launched from the page (AppTest, no browser)."""

import json

import pytest
from apptest_pages import open_app_page

from resnet_viz.training.convergence import CONVERGENCE_CONFIG


def test_the_section_quotes_sec_4_1_with_table_2s_numbers_before_any_run():
    at = open_app_page("app_pages/degradation.py")
    assert any(h.value == "Faster convergence at shallow depth" for h in at.main.subheader)
    body = "\n".join(m.value for m in at.main.markdown)
    assert "27.94" in body and "27.88" in body and "converges faster" in body and "Sec. 4.1, Fig. 4" in body
    assert any(f"{CONVERGENCE_CONFIG.steps} steps" in c.value for c in at.main.caption)  # the budget, said first


@pytest.mark.slow
def test_the_pair_launches_trains_and_gets_a_verdict_from_its_runs():
    from ui.run_queue import run_queue

    at = open_app_page("app_pages/degradation.py")
    at.button(key="conv_launch").click().run()
    assert not at.exception, at.exception
    assert run_queue().wait(timeout=300)
    at.run()
    assert not at.exception, at.exception
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and "conv_fig" in c.proto.id)
    names = {t["name"] for t in json.loads(chart.proto.spec)["data"]}
    assert any(n.startswith("plain-20") for n in names) and any(n.startswith("ResNet-20") for n in names)
    verdict = [m.value for m in at.main.markdown if m.value.startswith("- ")]
    assert any("from step 10 to 30" in line for line in verdict), verdict
    assert any(f"At the end (step {CONVERGENCE_CONFIG.steps})" in line for line in verdict), verdict
