"""Sweeps without Ray: the experiments, the paper's schedule, the local queue, and the command line's errors."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tiny import TINY

from resnet_viz import ResNetSpec
from resnet_viz.nets import published
from resnet_viz.nets.spec import SHORTCUT_VARIANTS, UNITS
from resnet_viz.training.labs import is_sweep_group
from resnet_viz.training.store import RunStore
from resnet_viz.training.sweep import run_sweep
from resnet_viz.training.sweep_plan import SweepError, SweepRun, experiment_runs, paper_config, sweep_group

ROOT = Path(__file__).resolve().parents[2]
CONFIG = replace(TINY, steps=6, warmup_steps=1, eval_every=3, log_every=3, eval_samples=32)


def test_experiments_expand_to_the_papers_networks():
    fig6 = experiment_runs("fig6")
    assert [r.name for r in fig6][:2] == ["plain-20", "plain-32"] and len(fig6) == 10
    assert {r.spec.shortcut for r in fig6} == {"A"} and sum(r.spec.residual for r in fig6) == 5
    table6 = experiment_runs("table6")
    assert [r.spec.depth for r in table6] == sorted(published.by_depth("table6_test_error"))
    assert all(r.spec.residual for r in table6)
    assert [r.spec.unit for r in experiment_runs("units")] == list(UNITS)
    shortcuts = experiment_runs("shortcuts")
    assert [r.spec.shortcut_variant for r in shortcuts] == list(SHORTCUT_VARIANTS)
    assert {r.spec.depth for r in shortcuts} == {110}
    assert [r.spec.depth for r in experiment_runs("fig6", depths=[8])] == [8, 8]
    with pytest.raises(SweepError, match="choose one of fig6, table6, units, shortcuts"):
        experiment_runs("fig7")


def test_paper_config_scales_the_schedule():
    full = paper_config()
    assert (full.steps, full.batch_size, full.input_size, full.lr, full.schedule) == (64_000, 128, 32, 0.1, "step")
    assert full.warmup_steps == 400 and full.augment and full.dataset == "cifar10"
    short = paper_config("digits", steps=640, device="cpu")
    assert short.warmup_steps == 4 and short.device == "cpu"
    assert paper_config(epochs=91).epochs == 91
    with pytest.raises(SweepError):
        paper_config(steps=10, epochs=1)


def test_sweep_groups_open_in_their_lab():
    assert sweep_group("fig6", CONFIG).startswith("degradation-sweep fig6")
    assert sweep_group("units", CONFIG).startswith("identity-units-sweep")
    assert is_sweep_group(sweep_group("shortcuts", CONFIG)) and not is_sweep_group("degradation 3")


def test_a_local_sweep_trains_through_the_queue_and_a_resubmit_skips_finished_runs(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    runs = [SweepRun("ResNet-8", ResNetSpec.from_depth(8, style="cifar", shortcut="A"))]
    lines = []
    result = run_sweep(store, "fig6", CONFIG, runs=runs, checkpoint_every=3, log=lines.append)
    assert [r["status"] for r in result.runs] == ["finished"]
    assert store.metrics(result.runs[0]["id"])["step"].tolist() == [3, 6]
    assert store.runs(group=result.group)["group"].tolist() == [result.group]
    again = run_sweep(store, "fig6", CONFIG, runs=runs, checkpoint_every=3)
    assert again.runs[0]["action"] == "skip" and len(store.runs()) == 1
    assert any("finished" in line for line in lines)
    store.close()


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "RESNET_VIZ_HOME": str(home), "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "resnet_viz", "sweep", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env=env,
    )  # fmt: skip


@pytest.mark.slow
def test_an_unknown_experiment_is_one_readable_line(tmp_path):
    result = run_cli("fig7", home=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "error: Unknown experiment 'fig7'; choose one of fig6, table6, units, shortcuts."


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["fig6", "--dataset", "digits", "--ray", "127.0.0.1:9"], "No Ray cluster answers at '127.0.0.1:9'"),
        (["fig6", "--dataset", "digits", "--device", "cuda"], "no NVIDIA GPU"),
        (["fig6", "--dataset", "cifar10"], "cifar10 is not on this machine"),
        (["units", "--steps", "0"], "--steps must be greater than 0"),
    ],
)
def test_bad_input_is_one_readable_line_and_leaves_the_store_empty(tmp_path, capsys, args, says):
    import torch

    from resnet_viz.__main__ import main

    if "cuda" in args and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code = main(["sweep", *args, "--store", str(tmp_path / "runs.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and says in err and err.startswith("error: ") and err.strip().count("\n") == 0, err
    store_file = tmp_path / "runs.sqlite"
    assert not store_file.exists() or RunStore(store_file).runs().empty


def test_without_ray_the_cli_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from resnet_viz.__main__ import main

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails, as where it is not installed
    code = main(["sweep", "fig6", "--dataset", "digits", "--ray", "auto", "--store", str(tmp_path / "runs.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and "Ray is not installed: pip install -r requirements-cluster.txt" in err
    assert RunStore(tmp_path / "runs.sqlite").runs().empty


@pytest.mark.slow
def test_the_library_and_app_pages_do_not_import_ray():
    code = (
        "import sys, importlib\n"
        "for m in ('resnet_viz', 'resnet_viz.training.engine', 'resnet_viz.training.sweep',\n"
        "          'resnet_viz.training.labs', 'resnet_viz.__main__'):\n"
        "    importlib.import_module(m)\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for path in [*(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]:
        assert "import ray" not in path.read_text(), path


def test_the_lab_pages_open_a_sweeps_group():
    from apptest_pages import open_app_page

    from resnet_viz.training.store import default_store_path

    store = RunStore(default_store_path())  # the app's own store (a throwaway folder in tests, see conftest)
    spec = ResNetSpec.from_depth(8, style="cifar", shortcut="A")
    made = []
    try:
        for experiment in ("fig6", "units"):
            group = sweep_group(experiment, CONFIG)
            made.append(store.create_run("ResNet-8", spec.to_dict(), CONFIG.to_dict(), "ray: CPU", group=group))
            store.log_metrics(made[-1], [{"step": 3, "train_loss": 1.0, "train_error": 0.5, "test_error": 0.6}])
            store.set_status(made[-1], "failed", "its Ray worker was lost at step 3")
        for page, group in (("app_pages/degradation.py", "fig6"), ("app_pages/identity_mappings.py", "units")):
            at = open_app_page(page)
            boxes = [box for box in at.selectbox if box.label == "Comparison"]
            assert any(sweep_group(group, CONFIG) in box.options for box in boxes), page
            assert any("A sweep started from the command line" in c.value for c in at.caption), page
    finally:
        for run_id in made:  # other tests of the app see this store too
            store.delete(run_id)
        store.close()
