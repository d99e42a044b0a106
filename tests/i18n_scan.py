"""Find text a user would read in the wrong language on a page rendered by AppTest.

`page_texts` walks every element of the page (main area and sidebar) and collects what is shown:
markdown and captions, alerts, titles, widget labels, help tooltips and options, table headers and
cells, and the text inside plotly figures (titles, axis titles, legend entries, hover templates,
annotations). `english_prose` finds three or more English words in a row (after removing math,
code, URLs, model names and the papers' titles, which stay in English in both languages);
`chinese_text` finds CJK characters.
"""

from __future__ import annotations

import io
import json
import re

from google.protobuf.json_format import MessageToDict

TEXT_FIELDS = {"body", "label", "help", "placeholder", "options", "text", "caption"}
FIGURE_KEYS = {"text", "name", "hovertemplate", "ticktext"}
# Stays English in both languages: model and dataset names, library and method names, units, paper titles.
ALLOWED_ENGLISH = [
    r"Deep Residual Learning for Image Recognition",
    r"Identity Mappings in Deep Residual Networks",
    r"Residual Networks Behave Like Ensembles of Relatively Shallow Networks",
    r"Visualizing the Loss Landscape of Neural Nets",
    r"Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
    r"Very Deep Convolutional Networks for Large-Scale Image Recognition",
    r"Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift",
    r"Delving Deep into Rectifiers",
    r"He, Zhang, Ren, Sun",
    # ui/citations.py's other references (gradients page): authors and titles as published
    r"Yang, Pennington, Rao, Sohl-Dickstein, Schoenholz",
    r"A Mean Field Theory of Batch Normalization",
    r"Balduzzi, Frean, Leary, Lewis, Ma, McWilliams",
    r"The Shattered Gradients Problem",
    r"Fixup Initialization: Residual Learning Without Normalization",
    r"Batch Normalization Biases Residual Blocks Towards the Identity Function",
    r"Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
    r"Zhang, Dauphin, Ma",
    r"[A-Z][a-z]+ et al\.",
]
TECHNICAL_WORDS = {
    "resnet",
    "cifar",
    "imagenet",
    "grad",
    "cam",
    "captum",
    "torchvision",
    "pytorch",
    "torch",
    "relu",
    "bn",
    "conv",
    "fc",
    "avgpool",
    "maxpool",
    "layer",
    "downsample",
    "cpu",
    "gpu",
    "cuda",
    "mps",
    "plain",
    "mb",
    "gb",
    "kb",
    "ms",
    "px",
    "fp",
    "bf",
    "sgd",
    "lr",
    "vgg",
    "streamlit",
    "ray",
    "mnist",
    "svhn",
    "digits",
    "shapes",
    "nvidia",
    "apple",
    "macs",
    "flops",
    "id",
    "url",
    "png",
    "jpeg",
    "jpg",
    "webp",
    "gif",
    "bmp",
    "tiff",
    "amp",
}
_REMOVE = [
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$]*\$"),  # inline math
    re.compile(r"`[^`]*`"),  # code
    re.compile(r"https?://\S+"),  # links
    re.compile(r":material/[a-z_]+:"),  # icons
    re.compile(r"\]\([^)]*\)"),  # markdown link targets
    re.compile(r"%\{[^}]*\}"),  # plotly hover placeholders
    re.compile(r"<[^>]+>"),  # html tags in hover templates
    *[re.compile(p) for p in ALLOWED_ENGLISH],
]
_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _figure_strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FIGURE_KEYS or (key == "title" and isinstance(item, str)):
                yield from _strings(item)
            if isinstance(item, dict | list):
                yield from _figure_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _figure_strings(item)


def _table_strings(arrow_bytes: bytes):
    import pyarrow as pa

    table = pa.ipc.open_stream(io.BytesIO(arrow_bytes)).read_all()
    yield from (str(name) for name in table.column_names)
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield from (str(v) for v in column.to_pylist() if v is not None)


def page_texts(at) -> list[str]:
    """Every user-visible string on the page AppTest ``at`` has rendered."""
    texts = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        fields = MessageToDict(proto, preserving_proto_field_name=False)
        for key, value in fields.items():
            if key in TEXT_FIELDS:
                texts.extend(_strings(value))
        if "spec" in fields and type(node).__name__ in ("PlotlyChart", "UnknownElement"):
            try:
                texts.extend(_figure_strings(json.loads(fields["spec"])))
            except ValueError:
                pass
        data = getattr(proto, "data", None) or getattr(getattr(proto, "arrow_data", None), "data", None)
        if isinstance(data, bytes) and data:
            try:
                texts.extend(_table_strings(data))
            except Exception:
                pass
    return [t for t in texts if t.strip()]


def _without_glossary_pairs(text: str) -> str:
    """``text`` without the glossary's term pairs (ui/glossary.py): an entry shows its English and its Chinese
    term side by side in both languages on purpose. Only a text holding both terms of one entry is exempt."""
    from ui.glossary import TERMS

    for term in sorted(TERMS, key=lambda t: -len(t.english + t.chinese)):  # "residual block" before "residual"
        if term.english in text and term.chinese in text:
            text = text.replace(term.chinese, " | ").replace(term.english, " | ")
    return text


def english_prose(text: str) -> list[str]:
    """Runs of three or more English words in ``text`` (technical names, paper titles, glossary pairs removed)."""
    text = _without_glossary_pairs(text)
    for pattern in _REMOVE:
        text = pattern.sub(" | ", text)
    runs, current = [], []
    for token in re.split(r"(\s+|[,;:()\"“”*_/])", text):
        if not token or token.isspace() or token in ',;:()"“”*_/':
            continue
        if _WORD.fullmatch(token.strip(".!?-")) and token.strip(".!?-").lower() not in TECHNICAL_WORDS:
            current.append(token)
            continue
        if len(current) >= 3:
            runs.append(" ".join(current))
        current = []
    if len(current) >= 3:
        runs.append(" ".join(current))
    return runs


def chinese_text(text: str) -> list[str]:
    """The CJK characters in ``text`` (the language switch's own label and the glossary's pairs are allowed)."""
    text = _without_glossary_pairs(text).replace("语言", "").replace("中文", "")
    return _CJK.findall(text)
