"""Each Lesson step's figure, the facts its result states and which choice is right, all computed or loaded here
by the library functions and the cached loaders the full pages use (no second copy of any computation).

`FIGURES` maps a step's key (`ui.lesson_steps.STEPS`) to a function of the language returning a `Shown`. The
bundled models' numbers come from their curves file and manifest, the papers' from assets/paper_numbers.json,
the networks' from the app's own tables; the right choice is decided from those numbers, never written down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from resnet_viz import i18n
from resnet_viz.i18n import _
from resnet_viz.nets import published
from resnet_viz.nets.spec import ResNetSpec
from resnet_viz.shipped import bundled_curves, lesson_results, lesson_settings

from . import architecture, bottleneck
from .lesson_steps import SAME


@dataclass
class Shown:
    figure: Any  # a plotly figure, or a DataFrame shown as a table
    facts: dict[str, str]  # fills the step's result text
    answer: str  # the right choice's key


def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}"


def closest(value: float, options: dict[str, float]) -> str:
    """The key of the option nearest ``value``."""
    return min(options, key=lambda key: abs(options[key] - value))


def order(a: str, b: str, value_a: float, value_b: float, tolerance: float) -> str:
    """The key (a or b) of the larger value, or SAME when they differ by less than ``tolerance``."""
    if abs(value_a - value_b) < tolerance:
        return SAME
    return a if value_a > value_b else b


def text_facts() -> dict[str, Any]:
    """The published numbers the steps' texts cite (torch-free)."""
    top1 = published.values("table2_top1_error")
    return {
        "plain34": top1["plain-34"],
        "plain18": top1["plain-18"],
        "preact": published.values("preact_1001_test_error")["preact"],
    }


def depth(language: str) -> Shown:
    from resnet_viz.figures.training import table6_figure

    errors = published.by_depth("table6_test_error")
    shown = {d: e for d, e in errors.items() if d <= 110}
    answer = order("20", "110", -errors[20], -errors[110], 0.25)  # the lower error wins
    facts = {"e20": str(errors[20]), "e110": str(errors[110])}
    return Shown(table6_figure(shown, published.by_depth("table6_params_m")), facts, answer)


def degradation(language: str) -> Shown:
    from resnet_viz.figures.training import degradation_figure

    metrics, runs = bundled_curves("digits")
    error = runs.set_index("name")["train_error"]
    facts = {name.replace("-", "").lower(): percent(error[name]) for name in error.index}
    answer = order("plain-20", "plain-56", error["plain-20"], error["plain-56"], 0.005)
    return Shown(degradation_figure(metrics, runs), facts, answer)


def overfitting(language: str) -> Shown:
    from resnet_viz.figures.training import variant_bars

    _metrics, runs = bundled_curves("digits")
    table = runs.set_index("name")
    p20, p56 = table.loc["plain-20"], table.loc["plain-56"]
    if p56["train_error"] > p20["train_error"]:
        answer, verdict = "no", _("The deeper net is worse on the very pictures it trained on: degradation.")
    elif p56["test_error"] > p20["test_error"]:
        answer, verdict = "yes", _("The deeper net fits its training pictures better: that is overfitting.")
    else:
        answer, verdict = "unknown", _("The deeper net is not worse here.")
    facts = {
        "plain56_train": percent(p56["train_error"]),
        "plain56_test": percent(p56["test_error"]),
        "plain20_train": percent(p20["train_error"]),
        "plain20_test": percent(p20["test_error"]),
        "verdict": verdict,
    }
    summary = runs.rename(columns={"name": "label"})[["label", "train_error", "test_error"]]
    return Shown(variant_bars(summary, yours=False), facts, answer)


def identity(language: str) -> Shown:
    spec = ResNetSpec.from_depth(56, style="cifar", residual=False, shortcut="A")
    return Shown(architecture.block_figure(spec, 32, "layer1.1", language), {}, "combine")


def residual_shown(ratios: dict[str, pd.DataFrame], settings: dict) -> Shown:
    """The "residual" step from `lesson_results.ratio_tables`' tables (shipped or live) and their settings."""
    from resnet_viz.figures.inside import ratio_figure

    residual_net = f"ResNet-{settings['depth']}"
    trained = float(ratios[f"{residual_net} trained"]["ratio"].median())
    fresh = float(ratios[f"{residual_net} fresh"]["ratio"].median())
    answer = "smaller" if trained < 0.8 else "larger" if trained > 1.25 else SAME
    shown = {
        _("{name} trained").format(name=k[: -len(" trained")])
        if k.endswith(" trained")
        else _("{name} fresh").format(name=k[: -len(" fresh")]): table
        for k, table in ratios.items()
    }
    facts = {"trained": f"{trained:.2f}", "fresh": f"{fresh:.2f}", "pictures": str(settings["ratio_pictures"])}
    return Shown(ratio_figure(shown), facts, answer)


def one_plus_shown(tables: dict[str, pd.DataFrame], settings: dict) -> Shown:
    """The "one_plus" step from `lesson_results.gradient_tables`' tables (shipped or live) and their settings."""
    from resnet_viz.figures.gradients import gradient_vs_depth
    from resnet_viz.probes.gradients import spread

    names = pair_names(settings)
    plain, res = (spread(tables[name], "weight_grad_norm") for name in names)
    facts = {"plain": f"{plain:.1f}", "residual": f"{res:.1f}", "seed": str(settings["seed"])}
    return Shown(gradient_vs_depth(tables), facts, order(*names, plain, res, 0.3))


def shapes(language: str) -> Shown:
    spec = ResNetSpec.from_depth(34)
    table = architecture.shortcut_table(spec, 224, language)
    dashed = table[table["kind"].isin(["projection", "zero_pad"])]
    facts = {
        "dashed": str(len(dashed)),
        "solid": str(int((table["kind"] == "identity").sum())),
        "blocks": ", ".join(dashed["block"]),
    }
    return Shown(architecture.shortcut_figure(spec, 224, True, language), facts, str(len(dashed)))


def options(language: str) -> Shown:
    top1 = published.values("table3_top1_error")
    errors = {option: top1[f"ResNet-34 {option}"] for option in "ABC"}
    table = architecture.option_costs(ResNetSpec.from_depth(34), 224, language)
    return Shown(table, {k: str(v) for k, v in errors.items()}, min(errors, key=errors.get))


def bottleneck_step(language: str) -> Shown:
    gmacs = published.by_depth("table1_gmacs")
    ratio = gmacs[50] / gmacs[34]
    answer = closest(ratio, {SAME: 1.0, "1.5": 1.5, "2": 2.0})
    facts = {"g34": str(gmacs[34]), "g50": str(gmacs[50]), "ratio": f"{ratio:.2f}"}
    return Shown(bottleneck.bottleneck_figure(ResNetSpec.from_depth(50), 224, language), facts, answer)


def v15(language: str) -> Shown:
    totals = {}
    for stride_on in ("1x1", "3x3"):
        stages = architecture.stage_table(ResNetSpec.from_depth(50, stride_on=stride_on), 224, language)
        totals[stride_on] = float(stages.loc[stages["stage"] == "total", "macs"].iloc[0]) / 1e9
    answer = order("more", "fewer", totals["3x3"], totals["1x1"], 0.01)
    figure = architecture.stage_cost_figure(ResNetSpec.from_depth(50, stride_on="3x3"), 224, language)
    return Shown(figure, {"v1": f"{totals['1x1']:.2f}", "v15": f"{totals['3x3']:.2f}"}, answer)


def thousand(language: str) -> Shown:
    from resnet_viz.figures.training import table6_figure

    errors, params = published.by_depth("table6_test_error"), published.by_depth("table6_params_m")
    answer = order("higher", "lower", errors[1202], errors[110], 0.25)
    facts = {"e1202": str(errors[1202]), "e110": str(errors[110]), "p1202": str(params[1202]), "p110": str(params[110])}
    return Shown(table6_figure(errors, params), facts, answer)


def pair_names(settings: dict) -> tuple[str, str]:
    """The plain and residual nets an experiment's tables are of ("plain-56", "ResNet-56")."""
    depth = settings["depth"]
    return f"plain-{depth}", f"ResNet-{depth}"


def lesion_shown(tables: dict[str, pd.DataFrame], settings: dict) -> Shown:
    """The "lesion" step from `lesson_results.lesion_tables`' tables (shipped or live) and their settings."""
    from resnet_viz.figures.lesion import lesion_bars

    facts, broken = {"pictures": str(settings["pictures"])}, {}
    for name, key in zip(pair_names(settings), ("plain", "resnet"), strict=True):
        table = tables[name]
        base = float(table.loc[table["block"] == "none", "error"].iloc[0])
        deleted = float(table.loc[(table["block"] != "none") & table["deletable"], "error"].median())
        facts |= {key: percent(deleted), f"{key}_base": percent(base)}
        broken[key] = deleted - base > 0.10  # more than 10 points worse
    answer = {
        (False, True): "resnet_survives",
        (True, False): "plain_survives",
        (True, True): "both_break",
        (False, False): "neither",
    }[broken["resnet"], broken["plain"]]
    return Shown(lesion_bars(tables), facts, answer)


def landscape_shown(curves: dict[str, pd.DataFrame], settings: dict) -> Shown:
    """The "landscape" step from `lesson_results.landscape_tables`' curves (shipped or live) and their settings."""
    from resnet_viz.figures.landscape import loss_curves
    from resnet_viz.probes.landscape import roughness

    names = pair_names(settings)
    plain, res = (roughness(curves[name]) for name in names)
    answer = order(*names, plain, res, 0.1 * max(plain, res))
    facts = {"plain": f"{plain:.3f}", "residual": f"{res:.3f}"} | {
        k: str(settings[k]) for k in ("points", "span", "pictures")
    }
    return Shown(loss_curves(curves), facts, answer)


# The steps whose result is one of `probes.lesson_results.EXPERIMENTS`: step key -> (experiment, the function
# drawing the step from that experiment's tables and settings). Shipped and live results both go through it.
FROM_EXPERIMENT: dict[str, tuple[str, Callable[[dict[str, pd.DataFrame], dict], Shown]]] = {
    "residual": ("ratios", residual_shown),
    "one_plus": ("gradients", one_plus_shown),
    "lesion": ("lesion", lesion_shown),
    "landscape": ("landscape", landscape_shown),
}


def live_settings(seed: int) -> dict:
    """The settings the shipped results were computed with (`lesson_settings`), at another ``seed``: what a
    live run of a step repeats."""
    return {**lesson_settings(), "seed": int(seed)}


def experiment_tables(key: str, settings: dict) -> dict[str, pd.DataFrame]:
    """Step ``key``'s experiment run now at ``settings``, by the function ``python -m resnet_viz lesson-results``
    runs (`probes.lesson_results.EXPERIMENTS`): {name: table}, shaped as `shipped.lesson_results` returns them.
    Seconds to minutes on a CPU (see benchmarks/bench_lesson.py --live)."""
    from resnet_viz.probes.lesson_results import EXPERIMENTS

    records = EXPERIMENTS[FROM_EXPERIMENT[key][0]](settings)
    return {name: pd.DataFrame(rows) for name, rows in records.items()}


def shown_from(key: str, tables: dict[str, pd.DataFrame], settings: dict, language: str) -> Shown:
    """Step ``key``'s figure, facts and right choice from its experiment's ``tables`` (live or shipped), in
    ``language``."""
    with i18n.use_language(language):
        return FROM_EXPERIMENT[key][1](tables, settings)


def _shipped(key: str) -> Callable[[str], Shown]:
    """Step ``key``'s figure function (of the language) drawing the results computed ahead of time
    (`shipped.lesson_results`) through `shown_from`, as a live run's results are."""

    def figure(language: str) -> Shown:
        return shown_from(key, lesson_results(FROM_EXPERIMENT[key][0]), lesson_settings(), language)

    return figure


FIGURES = {
    "depth": depth,
    "degradation": degradation,
    "overfitting": overfitting,
    "identity": identity,
    "residual": _shipped("residual"),
    "one_plus": _shipped("one_plus"),
    "shapes": shapes,
    "options": options,
    "bottleneck": bottleneck_step,
    "v15": v15,
    "thousand": thousand,
    "lesion": _shipped("lesion"),
    "landscape": _shipped("landscape"),
}


def shown(key: str) -> Shown:
    """Step ``key``'s figure, facts and right choice, in the reader's language."""
    language = i18n.language()
    with i18n.use_language(language):
        return FIGURES[key](language)
