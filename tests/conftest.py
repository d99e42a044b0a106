"""Test-wide setup: runs, datasets and torch's weight cache go to a throwaway folder, never the user's own."""

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="resnet-viz-tests-")
os.environ["RESNET_VIZ_HOME"] = os.path.join(_HOME, "home")
os.environ["RESNET_VIZ_DATA"] = os.path.join(_HOME, "data")
os.environ["TORCH_HOME"] = os.path.join(_HOME, "torch")  # pretrained weights: tests write their own here


import pytest  # noqa: E402 (the environment above is set before anything imports the library)


@pytest.fixture
def store(tmp_path):
    """A fresh run store in the test's own folder, closed afterwards."""
    from resnet_viz.training.store import RunStore

    s = RunStore(tmp_path / "runs.sqlite")
    yield s
    s.close()
