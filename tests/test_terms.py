"""One Chinese term per English term across the whole catalogue, and no italics in Chinese.

The terms below are the ones a Chinese-speaking reader found translated two or three ways (issue 22). Each
entry says where the English term appears (a pattern on the msgid), the one Chinese term its msgstr must
use, and the variants no msgstr may use. Chromium draws markdown italics as slanted CJK glyphs, which
Chinese typography does not use: emphasis is bold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from resnet_viz import i18n


@dataclass(frozen=True)
class Term:
    english: str  # regex on the msgid where the term appears
    chinese: str  # the one Chinese term its msgstr must contain
    avoid: str  # regex: variants no msgstr may contain
    avoid_unless: str = ""  # regex on the msgid that allows `avoid` (another English word with that translation)


# `shortcut` stays only inside code identifiers (`shortcut_dropout`) and once in the Glossary (ui/glossary.py).
TERMS = (
    Term(r"\bshortcuts?\b", "捷径", r"(?<![\w`])[Ss]hortcuts?(?![\w`])"),
    # The noun "run" (a stored training run, with an id). 运行 reads as "running": the verb is 执行 / 进行.
    Term(
        r"\b[Rr]uns? #|\b[Rr]uns? \{ids?\}|\{count\} runs?\b|^Runs?( (#|\{|to |in )|$)"
        r"|\b(these|selected|no|the|your) runs?\b",
        "训练记录",
        r"运行",
    ),
    Term(r"\bexclusive gating\b", "互斥门控", r"独占"),
    Term(r"\bDegradation lab\b", "退化实验室", r"退化实验(?!室)"),
    Term(r"\bIdentity-mappings lab\b", "恒等映射实验室", r"恒等映射实验(?!室)"),
    Term(r"\baccura(te|cy)\b", "准确率", r"精度", avoid_unless=r"\bprecision\b"),
    Term(r"\bmultiply-adds\b|\bMACs\b|^macs$", "乘加次数", r"乘加(?!次数)"),
    Term(r"\btwins?\b", "对照网络", r"孪生"),  # 孪生网络 is a Siamese network
    Term(r"\bsends it to chance\b", "随机猜测", r"退化到随机"),  # 退化 is the degradation problem only
    Term(r"\bits mass\b", "比例|热度", r"的权重放在"),  # attribution mass is not a weight
)

# *x* or _x_ outside code spans and math; `**bold**` is fine.
ITALICS = re.compile(
    r"(?<![*\\A-Za-z0-9_])\*(?![*\s])[^*\n]+?(?<![*\s])\*(?![*A-Za-z0-9_])"  # *x*
    r"|(?<![\w\\])_(?![_\s])[^_\n]+?(?<![_\s])_(?!\w)"  # _x_
)
CODE_OR_MATH = re.compile(r"`[^`]*`|\$[^$]*\$|\{[a-z_]+\}")


def _messages() -> list[tuple[str, str]]:
    from babel.messages.pofile import read_po

    with open(i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as file:
        catalog = read_po(file, locale="zh")
    return [(m.id, m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string]


@pytest.mark.parametrize("term", TERMS, ids=lambda term: term.chinese)
def test_each_english_term_has_one_chinese_term(term):
    messages = _messages()
    english = re.compile(term.english, re.MULTILINE)
    missing = [msgid for msgid, msgstr in messages if english.search(msgid) and not re.search(term.chinese, msgstr)]
    variants = [
        msgstr
        for msgid, msgstr in messages
        if re.search(term.avoid, msgstr) and not (term.avoid_unless and re.search(term.avoid_unless, msgid))
    ]
    assert any(english.search(msgid) for msgid, _ in messages), f"no msgid uses {term.english!r}: stale entry"
    assert not missing, f"{len(missing)} translations of {term.english!r} without {term.chinese}: {missing[:5]}"
    assert not variants, f"{len(variants)} msgstrs use a variant of {term.chinese}: {variants[:5]}"


def test_no_chinese_text_is_in_italics():
    slanted = [msgstr for _, msgstr in _messages() if ITALICS.search(CODE_OR_MATH.sub("", msgstr))]
    assert not slanted, f"{len(slanted)} msgstrs with markdown italics (use **bold** in Chinese): {slanted[:5]}"


def test_the_italics_check_finds_italics_and_spares_bold_code_and_math():
    def found(text):
        return bool(ITALICS.search(CODE_OR_MATH.sub("", text)))

    assert found("更深的网络*训练*误差更高") and found("见 _Table 1_")
    assert not found("**训练**误差") and not found("`shortcut_dropout`") and not found("$x_l * y$ 与 {per_block}*B+2")
