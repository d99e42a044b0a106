"""The labs: matched groups of runs that reproduce the papers' comparisons, and what to conclude.

A lab launches several runs that differ in one thing only (depth and shortcuts for the
degradation lab; the residual unit or the shortcut for the Identity Mappings lab) with the same
data, seed and budget, tagged with one group name in the run store.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..i18n import _
from ..nets.naming import net_label
from ..nets.published import by_depth, values
from ..nets.spec import ResNetSpec
from .config import TrainConfig

# Training-error difference (fraction) the verdicts call a difference, the same for every comparison: within it they
# say "no clear difference". 2 percentage points: the errors are measured on 512 images, whose sampling error alone
# is 1.3 points at 10 % error (sqrt(0.1 * 0.9 / 512)); the seed-to-seed spread is not measured yet.
CLEAR_MARGIN = 0.02

# The default degradation lab: Figure 6 of He et al. 2015, at a budget a laptop CPU can afford.
DEGRADATION_RUNS: list[tuple[int, bool]] = [(20, False), (56, False), (20, True), (56, True)]
# Its default training: the generated noisy digits at 16 px, 300 steps, evaluated every 20 steps (15 points; the
# engine evaluates at logged steps only, so a multiple of log_every) on a fixed subset of 512 training and 512 test
# images, after a 100-step warm-up from lr/10. Measured (benchmarks/lab_data.md): on the clean digits both ResNets
# reach 0 % training error (a tie that hides capacity); on the noisy digits the plain half of Fig. 6 shows by 50-65
# points. The warm-up is the paper's remedy for its deepest CIFAR net (He et al. 2015, Sec. 4.2: ResNet-110 starts
# at lr 0.01 until its training error is below 80 %): with the engine's 30-step default, ResNet-56 sat near chance
# for 50 steps and ended 20 points behind ResNet-20 at 300 steps (seed 0), a "deeper residual nets train worse"
# that the paper does not show; with 100 steps it ends level with ResNet-20 (0.6-1.2 % against 1.0 %, seeds 0-2).
# Ahead of ResNet-20, as in Fig. 6 (middle), it was on no variant tried: that takes far more steps than a lab
# affords. `precomputed` holds the longer runs.
DEGRADATION_CONFIG = TrainConfig(
    dataset="noisy_digits", input_size=16, steps=300, warmup_steps=100, eval_every=20, eval_samples=512
)
# The Identity Mappings lab trains on the same data and budget, at one depth (the paper compares at 110), with the
# engine's default 30-step warm-up (a 20-layer net needs no more; its shipped results were computed so).
IDENTITY_CONFIG = replace(DEGRADATION_CONFIG, warmup_steps=30)
IDENTITY_LAB_DEPTH = 20

# Identity Mappings, Table 2: CIFAR-10 test error (%) of ResNet-110 for each residual unit.
PAPER_UNIT_ERRORS = values("identity_mappings_unit_errors_110")
# Identity Mappings, Table 1: CIFAR-10 test error (%) of ResNet-110 for each shortcut variant
# (None: the paper reports the run failed to converge). Scaling 0.5 on both paths; gates at bias -6.
PAPER_SHORTCUT_ERRORS = values("identity_mappings_shortcut_errors")
# Options that make the paper's variants: "scaling" scales both paths by 0.5 (its 12.35 % row).
VARIANT_OPTIONS = {"scaling": {"shortcut_scale": 0.5, "branch_scale": 0.5}}


# He et al. 2015, Figure 6: plain-20/32/44/56(/110) and ResNet-20/32/44/56/110 on CIFAR-10, option A.
FIG6_DEPTHS = (20, 32, 44, 56, 110)
# He et al. 2016 (Identity Mappings), Tables 1 and 2 compare their variants on ResNet-110.
IDENTITY_DEPTH = 110

# Run groups: each lab lists the groups whose names start with its prefix (a sweep names its group so too,
# with SWEEP_MARK after the prefix, so the lab pages open the sweeps of the command line: `sweep_plan.sweep_group`).
LAB_GROUP_PREFIXES = {"degradation": "degradation", "units": "identity-units", "shortcuts": "identity-shortcuts"}
SWEEP_MARK = "-sweep "


def is_sweep_group(group: str | None) -> bool:
    """Was this run group made by `python -m resnet_viz sweep` (rather than a lab page's Launch button)?"""
    return bool(group) and any(str(group).startswith(p + SWEEP_MARK) for p in LAB_GROUP_PREFIXES.values())


# He et al. 2015, Table 3: ImageNet top-1 error (%, 10-crop) of ResNet-34 with shortcut options A, B, C.
PAPER_OPTION_ERRORS = {o: values("table3_top1_error")[f"ResNet-34 {o}"] for o in ("A", "B", "C")}


def option_specs(base: ResNetSpec, options: tuple[str, ...] = ("A", "B", "C")) -> list[ResNetSpec]:
    """``base`` once per shortcut option (He et al. 2015, Table 3), residual, everything else the same."""
    return [replace(base, shortcut=option, residual=True) for option in options]


def degradation_specs(rows: list[tuple[int, bool]], **options) -> list[ResNetSpec]:
    """CIFAR-style specs for (depth, residual) rows, all with the same other options.

    Raises ValueError naming the row for an impossible depth.
    """
    specs = []
    for depth, residual in rows:
        try:
            specs.append(ResNetSpec.from_depth(int(depth), style="cifar", residual=bool(residual), **options))
        except ValueError as err:
            raise ValueError(f"{net_label(depth, residual)}: {err}") from None
    return specs


def unit_specs(depth: int, units: list[str], **options) -> list[ResNetSpec]:
    """One CIFAR ResNet per residual-unit variant (Identity Mappings, Fig. 4 / Table 2)."""
    return [ResNetSpec.from_depth(depth, style="cifar", unit=u, **options) for u in units]


def shortcut_specs(depth: int, variants: list[str], **options) -> list[ResNetSpec]:
    """One CIFAR ResNet per shortcut variant (Identity Mappings, Fig. 2 / Table 1)."""
    return [
        ResNetSpec.from_depth(depth, style="cifar", shortcut_variant=v, **{**options, **VARIANT_OPTIONS.get(v, {})})
        for v in variants
    ]


def summarize(runs: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per run with its network and its last measured errors.

    Args:
        runs: `RunStore.runs()` rows (spec as a dict in column "spec").
        metrics: `RunStore.metrics()` rows for those runs.

    Returns:
        DataFrame with id, name, status, depth, residual, unit, shortcut_variant, last_step,
        train_loss (mean of the last 3 logged values), train_error, test_error (last evaluated).
    """
    rows = []
    for _row, run in runs.iterrows():
        spec = ResNetSpec.from_dict(run["spec"])
        mine = metrics[metrics["run_id"] == run["id"]]
        evals = mine.dropna(subset=["train_error"])
        rows.append(
            {
                "id": int(run["id"]),
                "name": run["name"],
                "status": run["status"],
                "depth": spec.depth,
                "residual": spec.residual,
                "unit": spec.unit,
                "shortcut_variant": spec.shortcut_variant,
                "last_step": int(mine["step"].max()) if len(mine) else 0,
                "train_loss": float(mine["train_loss"].tail(3).mean()) if len(mine) else float("nan"),
                "train_error": float(evals["train_error"].iloc[-1]) if len(evals) else float("nan"),
                "test_error": float(evals["test_error"].iloc[-1]) if len(evals) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def clear_order(first: float, second: float, margin: float = CLEAR_MARGIN) -> int:
    """-1 if ``first`` is below ``second`` by more than ``margin``, 1 if above by more, 0 within it (no clear order)."""
    if first < second - margin:
        return -1
    if first > second + margin:
        return 1
    return 0


def row_order(first: pd.Series, second: pd.Series) -> int:
    """`clear_order` of two summary rows' training errors. Rows of a lab run over several seeds (precomputed, with
    per-seed lists in ``train_errors`` and their mean in ``train_error``) also need every seed to agree: where the
    seeds disagree the order is noise at this budget, and 0 is returned."""
    order = clear_order(first["train_error"], second["train_error"])
    ours, theirs = first.get("train_errors"), second.get("train_errors")
    if order and isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs) > 1:
        if not all((a - b) * order > 0 for a, b in zip(ours, theirs)):
            return 0
    return order


def degradation_verdict(summary: pd.DataFrame) -> list[str]:
    """Plain-language conclusions from finished degradation runs (empty until there is data).

    Three comparisons, on the *training* error measured in eval mode: the deepest plain net with the
    shallowest (degradation), the residual net with the plain one at each depth, and the deepest
    residual net with the shallowest. Each one claims an order only beyond `CLEAR_MARGIN` and says
    "no clear difference" within it.
    """
    done = summary[summary["status"].isin(["finished", "stopped", "diverged"]) & summary["train_error"].notna()]
    return [*_plain_depth_verdict(done), *_same_depth_verdicts(done), *_residual_depth_verdict(done)]


def _percent(row: pd.Series) -> str:
    return f"{100 * row['train_error']:.1f}"


def _depth_fields(shallow: pd.Series, deep: pd.Series) -> dict:
    return {
        "deep": deep["depth"],
        "shallow": shallow["depth"],
        "deep_error": _percent(deep),
        "shallow_error": _percent(shallow),
        "margin": f"{100 * CLEAR_MARGIN:.0f}",
    }


def _shallowest_and_deepest(runs: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    runs = runs.sort_values("depth")
    return (runs.iloc[0], runs.iloc[-1]) if runs["depth"].nunique() >= 2 else None


def _plain_depth_verdict(done: pd.DataFrame) -> list[str]:
    """Degradation itself: does the deepest plain net train worse than the shallowest?"""
    pair = _shallowest_and_deepest(done[~done["residual"]])
    if pair is None:
        return []
    fields = _depth_fields(*pair)
    order = row_order(pair[1], pair[0])
    if order > 0:
        return [
            _(
                "Degradation: plain-{deep} ends with a **higher training error** ({deep_error} %) than "
                "plain-{shallow} ({shallow_error} %), by more than {margin} percentage points. The deeper net could "
                "copy the shallower one and add identities, yet the optimiser does not find that. It is not "
                "overfitting: the error is on the training set (the paper's Figure 6, left)."
            ).format(**fields)
        ]
    if order < 0:
        return [
            _(
                "Here plain-{deep} trained better than plain-{shallow} ({deep_error} % vs {shallow_error} % training "
                "error): no degradation at this budget. It grows with depth and shows most clearly early in "
                "training: try a deeper plain net or compare at an earlier step."
            ).format(**fields)
        ]
    return [
        _(
            "No clear difference between plain-{deep} and plain-{shallow} ({deep_error} % vs {shallow_error} % "
            "training error, within {margin} percentage points): this run shows no degradation."
        ).format(**fields)
    ]


def _same_depth_verdicts(done: pd.DataFrame) -> list[str]:
    """At each depth with both kinds: does the residual net train clearly better than the plain one?"""
    lines = []
    for depth in sorted(set(done["depth"])):
        res = done[(done["depth"] == depth) & done["residual"]]
        pl = done[(done["depth"] == depth) & ~done["residual"]]
        if not (len(res) and len(pl)):
            continue
        r, p = res.iloc[-1], pl.iloc[-1]
        fields = {
            "depth": depth,
            "residual_error": _percent(r),
            "plain_error": _percent(p),
            "margin": f"{100 * CLEAR_MARGIN:.0f}",
        }
        order = row_order(r, p)
        if order < 0:
            sentence = _(
                "At {depth} layers the residual net reaches {residual_error} % training error against "
                "{plain_error} % for the plain one: the shortcuts fix the optimisation."
            )
        elif order > 0:
            sentence = _(
                "At {depth} layers the residual net trains worse than the plain one ({residual_error} % against "
                "{plain_error} % training error)."
            )
        else:
            sentence = _(
                "At {depth} layers, no clear difference between the residual net ({residual_error} % training "
                "error) and the plain one ({plain_error} %): within {margin} percentage points."
            )
        lines.append(sentence.format(**fields))
    return lines


def _residual_depth_verdict(done: pd.DataFrame) -> list[str]:
    """With shortcuts: does the deepest residual net train clearly better than the shallowest?"""
    pair = _shallowest_and_deepest(done[done["residual"]])
    if pair is None:
        return []
    fields = _depth_fields(*pair)
    order = row_order(pair[1], pair[0])
    if order < 0:
        return [
            _(
                "With shortcuts, depth helps again: ResNet-{deep} ends {deep_error} % against {shallow_error} % for "
                "ResNet-{shallow} in training error, more than {margin} percentage points lower, as in the paper's "
                "Figure 6 (middle)."
            ).format(**fields)
        ]
    if order > 0:
        return [
            _(
                "Here ResNet-{deep} trained worse than ResNet-{shallow} ({deep_error} % vs {shallow_error} % training "
                "error): at this budget the deeper residual net has not caught up."
            ).format(**fields)
        ]
    return [
        _(
            "No clear difference between ResNet-{deep} and ResNet-{shallow} ({deep_error} % vs {shallow_error} % "
            "training error, within {margin} percentage points): this run does not show the paper's \"deeper is "
            'better" for ResNets (Figure 6, middle).'
        ).format(**fields)
    ]


def variant_verdict(summary: pd.DataFrame, reference: str) -> list[str]:
    """Each variant's final training error against the ``reference`` variant's (rows with columns label,
    train_error; finished runs): an order only beyond `CLEAR_MARGIN`, "no clear difference" within it.

    The order of the paper's Tables 1 and 2 comes from ResNet-110 after 64k steps on CIFAR-10; a short lab run
    can rank variants by noise, so this says which differences are larger than the margin and which are not.
    """
    done = summary.dropna(subset=["train_error"])
    base = done[done["label"] == reference]
    if base.empty:
        return []
    base_row = base.iloc[-1]
    base_error = float(base_row["train_error"])
    margin = f"{100 * CLEAR_MARGIN:.0f}"
    lines = []
    for _row, run in done[done["label"] != reference].iterrows():
        fields = {
            "variant": run["label"],
            "reference": reference,
            "error": f"{100 * run['train_error']:.1f}",
            "reference_error": f"{100 * base_error:.1f}",
            "margin": margin,
        }
        order = row_order(run, base_row)
        if order > 0:
            sentence = _(
                "**{variant}** trains worse than {reference} ({error} % vs {reference_error} % training error)."
            )
        elif order < 0:
            sentence = _(
                "**{variant}** trains better than {reference} ({error} % vs {reference_error} % training error)."
            )
        else:
            sentence = _(
                "**{variant}**: no clear difference from {reference} ({error} % vs {reference_error} % training error, "
                "within {margin} percentage points): this run does not rank them."
            )
        lines.append(sentence.format(**fields))
    return lines


# He et al. 2015, Sec. 4.2 / Table 6: the CIFAR-10 schedule (64k steps of 128 images at 32x32).
PAPER_CIFAR_SCHEDULE = {"steps": 64_000, "batch_size": 128, "input_size": 32}


TOO_DEEP_DEPTHS = (110, 1202)  # the paper's deepest CIFAR nets (Table 6): "Too deep" prices training them


def too_deep(config, store=None, device: str = "cpu", depths: tuple[int, ...] = TOO_DEEP_DEPTHS) -> pd.DataFrame:
    """ResNet-110 against ResNet-1202 (He et al. 2015, Table 6 and Sec. 4.2): size, published test error,
    and what training each would cost on ``device``, at ``config`` (a `TrainConfig`) and at the paper's
    schedule (`PAPER_CIFAR_SCHEDULE`), from `budget.run_cost` (earlier runs in ``store`` if any, else
    this machine's measured rate).

    Returns:
        DataFrame with one row per depth: depth, params (ours, option A), paper_params_m, paper_test_error
        (%, NaN where the paper has none), lab_seconds, paper_seconds, estimate (where the step time
        comes from).
    """
    from ..nets.trace import trace_spec
    from .budget import run_cost

    params_m, errors = by_depth("table6_params_m"), by_depth("table6_test_error")
    paper = replace(config, epochs=None, **PAPER_CIFAR_SCHEDULE)
    rows = []
    for depth in depths:
        spec = ResNetSpec.from_depth(depth, style="cifar", shortcut="A")
        lab, full = run_cost(spec, config, store, device), run_cost(spec, paper, store, device)
        rows.append(
            {
                "depth": depth,
                "params": trace_spec(spec, config.input_size).params,
                "paper_params_m": params_m.get(depth),
                "paper_test_error": errors.get(depth),
                "lab_seconds": lab.seconds,
                "paper_seconds": full.seconds,
                "estimate": lab.source,
            }
        )
    return pd.DataFrame(rows)
