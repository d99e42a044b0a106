"""Test-wide setup: runs and datasets go to a throwaway folder, never the user's own store."""

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="resnet-viz-tests-")
os.environ["RESNET_VIZ_HOME"] = os.path.join(_HOME, "home")
os.environ["RESNET_VIZ_DATA"] = os.path.join(_HOME, "data")
