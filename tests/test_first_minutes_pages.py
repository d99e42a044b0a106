"""What a new user meets on Architecture, Shortcuts and Gradient flow (AppTests through app.py)."""

import json

import torch
from apptest_pages import open_app_page


def huge_plain_net(spec):
    """Convs scaled by 1e5, no BN: 20 layers whose gradients overflow float32 as plain-1202's do."""
    from resnet_viz.model import ResNet

    torch.manual_seed(0)
    model = ResNet(spec)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.mul_(1e5)
    return model


def test_gradient_page_says_where_float32_overflowed_and_never_prints_nan(monkeypatch):
    monkeypatch.setattr("resnet_viz.gradients.build_resnet", huge_plain_net)
    at = open_app_page("app_pages/gradients.py", state={"grad_seed": 7, "grad_bn": False})  # seed 7: not cached
    at.select_slider(key="grad_depth").set_value(20).run()
    assert not at.exception, at.exception
    text = " ".join(c.value for c in at.caption)
    assert "nan" not in text.lower() and "about 10" in text
    assert any("float32" in i.value and "float64" in i.value for i in at.info)
    for chart in at.get("plotly_chart")[:2]:  # the curves and the shortcut split are drawn, not empty
        assert all(len(t.get("x") or []) > 0 for t in json.loads(chart.proto.spec)["data"] if t["type"] != "box")
