"""What the pages say about the papers is true and sourced (AppTests that read the pages)."""

from __future__ import annotations

import json

import pytest
from apptest_pages import ROOT, launch_and_finish, open_app_page
from streamlit.testing.v1 import AppTest


def text(at: AppTest) -> str:
    """Every markdown, caption, info and latex body of the page (not the sidebar), in one string."""
    main = at.main
    parts = [m.value for m in main.markdown] + [c.value for c in main.caption] + [i.value for i in main.info]
    return "\n".join(parts + [el.body for el in main.latex])


def sources(at: AppTest) -> str:
    expander = next(e for e in at.expander if e.label == "Sources")
    return "\n".join(m.value for m in expander.markdown)


def test_home_calls_table2_validation_error_and_names_the_training_curves():
    at = open_app_page("app_pages/home.py")
    body = text(at)
    assert "*validation* error" in body and "10-crop" in body
    assert "Fig. 4" in body and "Fig. 6" in body  # the training-error evidence
    assert "28.54" in body and "25.03" in body and "option A" in body
    assert "Table 2" in sources(at)


def test_home_gives_the_original_unit_its_relu_and_says_where_the_one_is_exact():
    at = open_app_page("app_pages/home.py")
    latex = " ".join(el.body for el in at.latex)
    assert r"\mathrm{ReLU}\big(x_l + \mathcal{F}(x_l, W_l)\big)" in latex
    body = text(at)
    assert "pre-activation" in body and "Sec. 3" in body and "exact only" in body


def shape_text(at: AppTest) -> str:
    heading = next(i for i, m in enumerate(at.markdown) if "Why do the shapes change" in m.value)
    return at.markdown[heading + 1].value


def test_shortcuts_resnet50_names_strided_blocks_and_conv2_1_as_channels_only():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-50"})
    body = shape_text(at)
    assert "**conv3_1**, **conv4_1**, **conv5_1**" in body and "stride 2" in body
    assert "At **conv2_1** only the channels change (64 -> 256" in body and "stride 1" in body
    assert "projects" in body and "zeros" not in body
    assert "Sec. 3.3" in sources(at)


def test_shortcuts_resnet34_option_a_has_no_channels_only_block_and_pads_zeros():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-34", "shortcut": "A"})
    body = shape_text(at)
    assert "**conv3_1**, **conv4_1**, **conv5_1**" in body
    assert "only the channels" not in body and "conv2_1" not in body
    assert "zeros" in body and "projects" not in body


def test_gradient_page_quotes_the_paper_measures_honestly_and_follows_training():
    from ui.run_queue import run_queue

    store = run_queue().store
    for name, residual, spread in (("plain-20", False, 100.0), ("ResNet-20", True, 2.0)):
        run_id = store.create_run(name, {"residual": residual}, {"dataset": "digits"}, "cpu", group="apptest-grad")
        norms = {"layer1.0": spread, "layer1.1": 1.0, "layer1": 3.0}
        store.log_metrics(run_id, [{"step": 0, "grad_norms": norms}, {"step": 10, "grad_norms": norms}])
        store.set_status(run_id, "finished")
    at = open_app_page("app_pages/gradients.py")
    at.select_slider(key="grad_depth").set_value(20).run()
    assert not at.exception, at.exception
    body = text(at)
    assert "same order" not in body and "1x1 projection" not in body and "zero-pad" in body
    assert "exhibit healthy norms with BN" in body and "Sec. 4.1" in body
    assert "Yang et al. (2019)" in body and "Balduzzi et al. (2017)" in body
    assert "plain-20: a factor of about 100 between its blocks" in body and "ResNet-20: a factor of 2.0" in body
    chart = next(c for c in at.get("plotly_chart") if "grad_spread_fig" in c.proto.id)
    assert chart
    cited = sources(at)
    assert "Mean Field Theory of Batch Normalization" in cited and "Shattered Gradients" in cited
    at.toggle(key="grad_bn").set_value(False).run()
    body = text(at)
    assert "Fixup" in body and "Zhang et al. 2019" in body and "De & Smith 2020" in body and "Goyal et al. 2017" in body


def test_degradation_lab_says_option_a_and_reads_table6_from_published():
    at = open_app_page("app_pages/degradation.py")
    body = text(at)
    assert "**option A** shortcuts" in body and "Figure 6" in body
    assert "8.75 / 7.51 / 7.17 / 6.97 / 6.43 % (He et al. 2015, Table 6; ResNet-110's 6.43 % is the best of 5" in body
    assert "mean is 6.61 ± 0.16 %" in body  # the other page's 6.61 % (Identity Mappings lab), said for what it is
    assert "Figure 6" in sources(at)


def test_attribution_caption_asks_instead_of_claiming():
    source = (ROOT / "ui" / "attribution_compare.py").read_text()
    assert "sit on the object more often. Check" not in source
    assert "A question to test here, not a" in source


def test_architecture_table1_check_of_resnet34_ignores_stride_placement_and_reads_humanly():
    at = open_app_page("app_pages/architecture.py", {"preset": "ResNet-34"})  # default placement: v1.5
    checks = at.dataframe[1].value.set_index("source")
    table1 = checks.loc["He et al. 2015, Table 1"]
    assert table1["paper"] == "3.6G" and table1["ours"] == "3.644G" and table1["matches"] == "✅ matches"
    assert "option-A count (3.64 G)" in table1["note"]
    assert "(21,797,672)" in checks.loc["torchvision weights metadata"].iloc[0]["ours"]
    assert "Table 1" in sources(at)


@pytest.mark.parametrize(
    "page",
    [
        f"app_pages/{name}.py"
        for name in (
            "home",
            "architecture",
            "shortcuts",
            "train",
            "degradation",
            "identity_mappings",
            "gradients",
            "why_it_works",
            "attribution",
        )
    ],  # fmt: skip
)
def test_every_page_ends_with_its_sources(page):
    at = open_app_page(page)
    assert "He et al." in sources(at) or "He, Zhang, Ren, Sun" in sources(at)


def test_architecture_explains_the_bottleneck_with_the_papers_sentence_and_numbers():
    at = open_app_page("app_pages/architecture.py", {"preset": "ResNet-50", "stride_on": "1x1"})
    body = text(at)
    assert "leaving the 3×3 layer a bottleneck" in body and "Sec. 4.1" in body
    assert "would need 22x the multiply-adds and 19x the parameters" in body
    chart = next(c for c in at.get("plotly_chart") if "arch_bneck_fig" in c.proto.id)
    assert chart


@pytest.mark.slow
def test_shortcut_options_quote_table3_and_train_a_b_c_side_by_side():
    from ui.run_queue import run_queue

    at = open_app_page("app_pages/shortcuts.py", {"preset": "CIFAR ResNet-20"})
    body = text(at)
    assert "25.03 % (A), 24.52 % (B), 24.19 % (C)" in body and "not essential" in body
    costs = at.dataframe[0].value
    assert {"shortcut multiply-adds", "network multiply-adds"} <= set(costs.columns)
    at.number_input(key="opt_size").set_value(8)
    at.number_input(key="opt_steps").set_value(20)
    at.button(key="opt_launch").click().run()
    assert not at.exception, at.exception
    assert run_queue().wait(timeout=300)
    at.run()
    assert not at.exception, at.exception
    results = next(df.value for df in at.dataframe if "train error %" in df.value.columns)
    assert sorted(results["name"]) == ["ResNet-20 option A", "ResNet-20 option B", "ResNet-20 option C"]
    assert set(results["status"]) == {"finished"}


def test_degradation_lab_explains_1202_as_overfitting_with_a_cpu_budget():
    at = open_app_page("app_pages/degradation.py")
    body = text(at)
    assert "**7.93 %**" in body and "**6.43 %**" in body and "overfitting" in body
    assert "*higher test* error" in body and "*higher training* error" in body
    costs = next(df.value for df in at.dataframe if "network" in df.value.columns)
    assert costs["network"].tolist() == ["ResNet-110", "ResNet-1202"]
    assert costs["parameters"].tolist() == ["1.73M", "19.4M"]


@pytest.mark.slow
def test_degradation_lab_shows_layer_responses_of_finished_runs():
    at = open_app_page("app_pages/degradation.py")
    launch_and_finish(at, "deg", "deg_launch")
    chart = next(c for c in at.get("plotly_chart") if "deg_responses" in c.proto.id)
    series = {t["meta"]["series"] for t in json.loads(chart.proto.spec)["data"]}
    assert {"plain-20", "plain-56", "ResNet-20", "ResNet-56"} <= series
    body = text(at)
    assert "closer to zero than the non-residual functions" in body and "**Yours** (mean std" in body


@pytest.mark.slow
def test_degradation_lab_deepens_a_trained_plain_net_with_identity_or_random_blocks():
    at = open_app_page("app_pages/degradation.py")
    launch_and_finish(at, "deg", "deg_launch")  # a fresh trained plain-20 and plain-56 to deepen
    assert "approximating identity mappings" in text(at)
    at.number_input(key="deg_id_extra").set_value(1)
    at.number_input(key="deg_id_steps").set_value(10)
    at.button(key="deg_id_go").click().run()
    assert not at.exception, at.exception
    chart = next(c for c in at.get("plotly_chart") if "deg_id_fig" in c.proto.id)
    series = [t["meta"]["series"] for t in json.loads(chart.proto.spec)["data"]]
    assert series == ["identity", "random", "shallow"]
    assert "Right after the insertion, the identity blocks leave the training error at" in text(at)


def test_the_sidebar_says_option_b_is_for_50_layers_up_and_a_for_the_18_34_comparison():
    def note(preset):
        at = open_app_page("app_pages/architecture.py", {"preset": preset})
        return " ".join(c.value for c in at.sidebar.caption if c.value.startswith("Option "))  # under Variants

    assert "50/101/152-layer nets" in note("ResNet-50") and "option A" not in note("ResNet-50")
    assert "18/34-layer comparison with the plain nets (Table 2, Fig. 4) uses option A" in note("ResNet-18")


def test_a_custom_imagenet_depth_200_is_the_published_resnet_200():
    at = open_app_page("app_pages/architecture.py", {"preset": "Custom depth", "style": "imagenet", "depth": "200"})
    assert "[3, 24, 36, 3] bottleneck blocks per stage" in " ".join(c.value for c in at.main.caption)


def test_why_it_works_frames_inside_one_block_as_not_fig7_and_links_the_lab():
    at = open_app_page("app_pages/why_it_works.py", {"why_depth": 20, "why_count": 16})
    assert "This ratio is not Fig. 7's measure" in text(at)
    assert any("Degradation lab" in link.proto.label for link in at.get("page_link"))
    assert "Fig. 3" in sources(at) and "Fig. 5a" in sources(at) and "Fig. 5 (ResNet-20/56/110" in sources(at)


def test_home_names_the_2015_results_and_the_mini_batch_argument_with_their_sources():
    body = text(open_app_page("app_pages/home.py"))
    assert "3.57 % top-5 error on the ImageNet test set" in body and "(He et al. 2015, Abstract)" in body
    assert "COCO segmentation" in body and "28 % relative improvement" in body
    assert "exactly -1 for every sample of the batch" in body and "Identity Mappings, Sec. 2, after Eq. 5" in body


def test_shortcuts_says_why_an_identity_and_not_a_highway_gate():
    at = open_app_page("app_pages/shortcuts.py")
    assert "never closes" in text(at) and "(He et al. 2015, Sec. 2)" in text(at)
    assert "Sec. 2 (highway networks" in sources(at)
    assert "gets 12.22 % against the identity's 6.61 %" in text(at) and "With 54 units stacked" in text(at)


def test_identity_lab_shows_that_the_unit_matters_more_with_depth():
    at = open_app_page("app_pages/identity_mappings.py")
    table = next(d.value for d in at.dataframe if "ResNet-1001" in d.value.columns)
    assert table.loc["full pre-activation"].tolist() == ["6.37", "5.46", "4.92"]
    assert table.loc["BN after addition"].tolist() == ["8.17", "6.50", "–"]  # not published at 1001 layers
    assert "ResNet-164 5.93 → 5.46 %; ResNet-1001 7.61 → 4.92 %" in text(at)
    assert "**BN after addition** alters the signal" in text(at) and "Sec. 4.1" in text(at)
    assert "no dropout anywhere (He et al. 2015, Sec. 3.4" in text(at)
