"""The language switch: from the URL, kept in the URL with the network, unknown values fall back to English."""

from apptest_pages import open_app_page


def _param(at, key: str):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def _sidebar_header(at) -> str:
    return at.sidebar.header[0].value


def test_lang_zh_in_the_link_opens_the_app_in_chinese_and_stays_in_the_url():
    at = open_app_page("app_pages/home.py", {"lang": "zh", "preset": "ResNet-50"})
    assert _sidebar_header(at) == "模型"
    assert at.sidebar.radio(key="lang").value == "zh"
    assert _param(at, "lang") == "zh" and _param(at, "preset") == "ResNet-50"


def test_an_unknown_language_falls_back_to_english_without_an_error():
    at = open_app_page("app_pages/home.py", {"lang": "klingon"})
    assert not at.exception and not at.error
    assert _sidebar_header(at) == "Model"
    assert _param(at, "lang") is None


def test_switching_language_keeps_the_network_and_the_page():
    at = open_app_page("app_pages/architecture.py", {"preset": "CIFAR ResNet-56"})
    assert _sidebar_header(at) == "Model"
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert _sidebar_header(at) == "模型"
    assert at.sidebar.selectbox(key="cfg_preset").value == "CIFAR ResNet-56"
    assert _param(at, "lang") == "zh" and _param(at, "preset") == "CIFAR ResNet-56"
    at.sidebar.radio(key="lang").set_value("en").run()
    assert _sidebar_header(at) == "Model" and _param(at, "lang") is None
