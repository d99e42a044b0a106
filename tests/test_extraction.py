"""No user-visible English literal escapes `pybabel extract`, as far as reading the code can tell.

Babel extracts only literals inside `_()`, `N_()` and `ngettext()`. Three ways a string reached the
Chinese page in English anyway (issue 22): a literal handed straight to a Streamlit call (a label, a help
text, tab names), a module constant shown with `_(NAME)` but never marked with N_ (so never in the
catalogue: "Custom depth"), and a `translated({...})` format_func whose labels were left unmarked. This
scan of the AST of app.py, app_pages/ and ui/ finds all three; it cannot see strings built elsewhere
and passed in (the AppTests in test_i18n.py read the rendered pages for those).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])

# Streamlit calls whose first argument (or these keywords) a reader sees; called on st, st.sidebar or a column.
SHOWN = {
    "title", "header", "subheader", "markdown", "caption", "write", "text", "info", "warning", "error",
    "success", "toast", "spinner", "expander", "button", "download_button", "link_button",
    "selectbox", "multiselect", "radio", "toggle", "checkbox", "slider", "select_slider", "number_input",
    "text_input", "text_area", "file_uploader", "metric", "form_submit_button", "tabs", "status", "popover",
}  # fmt: skip
CHOICES = {"selectbox", "multiselect", "radio", "select_slider", "segmented_control", "pills"}
SHOWN_KEYWORDS = {"label", "help", "placeholder", "caption"}
# Words that are the same in both languages (model, dataset and library names, units): a literal made only of
# these, numbers and punctuation needs no translation.
SAME_IN_BOTH = re.compile(
    r"(ResNet|plain|ImageNet|CIFAR|Grad-CAM|AdamW|SGD|fp32|bf16|fp16|CPU|GPU|CUDA|MPS|v1\.5|v1|x|px|MB|GB|ms|"
    r"torchvision|captum|digits|shapes|MNIST|SVHN|[A-C]|BN|ReLU)"
)


def _needs_translation(text: str) -> bool:
    """Does ``text`` hold words a Chinese reader would need translated (after markup, math and code)?

    A literal that already holds Chinese is shown in both languages on purpose ("Language / 语言")."""
    if re.search(r"[\u4e00-\u9fff]", text):
        return False
    text = re.sub(r"`[^`]*`|\$[^$]*\$|:material/[a-z_]+:|\{[^}]*\}|https?://\S+", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z.\-']*", text)
    return any(not SAME_IN_BOTH.fullmatch(word.strip(".-'")) for word in words)


def _literals(node: ast.AST):
    """String literals a call argument shows as they are: a constant, the text parts of an f-string, list items."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            yield from _literals(item)


def _raw_options(call: ast.Call) -> list[ast.AST]:
    """The options of a choice widget without a format_func: shown as they are."""
    if call.func.attr not in CHOICES or any(k.arg == "format_func" for k in call.keywords):
        return []
    return call.args[1:2] + [k.value for k in call.keywords if k.arg == "options"]


def _is_call_to(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


def _unextracted(tree: ast.Module) -> list[str]:
    """(line, literal) of every string this module shows without extraction."""
    marked_or_not = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        shown = []
        if isinstance(node.func, ast.Attribute) and node.func.attr in SHOWN | {"page_link"}:
            first = node.args[:1] if node.func.attr != "page_link" else []  # page_link's first argument is a path
            shown = first + [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS] + _raw_options(node)
        elif _is_call_to(node, {"_"}) and node.args and isinstance(node.args[0], ast.Name):
            constant = marked_or_not.get(node.args[0].id)
            shown = [constant] if isinstance(constant, ast.Constant) else []
        elif _is_call_to(node, {"translated"}) and node.args and isinstance(node.args[0], ast.Dict):
            shown = node.args[0].values
        for argument in shown:
            found += [f"{node.lineno}: {text!r}" for text in _literals(argument) if _needs_translation(text)]
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_shown_literal_goes_through_extraction(path):
    found = _unextracted(ast.parse(path.read_text(), filename=str(path)))
    assert not found, f"shown without _() / N_() in {path.name}: {found[:8]}"


def test_the_scan_finds_each_kind_of_escape():
    code = """
CUSTOM = "Custom depth"
MARKED = N_("Marked")
st.caption("Some English words")
column.button(_("Go"), help="Press to start")
st.tabs([_("One"), "Two"])
_(CUSTOM); _(MARKED)
st.selectbox(_("Optimiser"), ["sgd"], format_func=translated({"sgd": "SGD with momentum", "adamw": "AdamW"}))
st.markdown(f"**{name}**: ResNet-{depth}, CIFAR")
d4.selectbox(_("Schedule"), ["cosine", "step"], key="schedule")
"""
    found = _unextracted(ast.parse(code))
    assert sorted(line.split(": ", 1)[1] for line in found) == sorted(
        [
            "'Some English words'",
            "'Press to start'",
            "'Two'",
            "'Custom depth'",
            "'SGD with momentum'",
            "'cosine'",
            "'step'",
        ]
    )


def test_streamlits_own_developer_menu_is_hidden():
    """Streamlit's Deploy and developer items are English only: .streamlit/config.toml hides them."""
    import tomllib

    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["toolbarMode"] == "viewer"
    assert "viewer" in config._config_options_template["client.toolbarMode"].description  # a value this version knows
