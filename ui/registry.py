"""The app's pages, in one place: app.py builds its navigation from this list and Home its map."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_viz.i18n import N_


@dataclass(frozen=True)
class PageInfo:
    """One page of the app: where its script lives and how navigation and Home present it."""

    path: str  # the script, relative to the repo root; its file name is the page's URL ("/shortcuts")
    title: str  # English, marked with N_; shown as _(title)
    icon: str
    section: str
    blurb: str  # one line for Home's map of the app ("" for Home itself)
    default: bool = False


PAGES: tuple[PageInfo, ...] = (
    PageInfo("app_pages/home.py", N_("Home"), ":material/home:", N_("Learn"), "", default=True),
    PageInfo(
        "app_pages/lesson.py",
        N_("Lesson"),
        ":material/school:",
        N_("Learn"),
        N_("Start here: the story of ResNet in thirteen steps, predict first, then see it happen."),
    ),
    PageInfo(
        "app_pages/glossary.py",
        N_("Glossary"),
        ":material/translate:",
        N_("Learn"),
        N_("The key terms in English and Chinese, each in one sentence with its source and the page that shows it."),
    ),
    PageInfo(
        "app_pages/architecture.py",
        N_("Architecture"),
        ":material/table_chart:",
        N_("Explore the architecture"),
        N_("The paper's Table 1 regenerated for any network, every layer with shapes, parameters and multiply-adds."),
    ),
    PageInfo(
        "app_pages/shortcuts.py",
        N_("Shortcuts"),
        ":material/alt_route:",
        N_("Explore the architecture"),
        N_("The whole network with its shortcuts: solid identity, dashed projection, dotted zero-padding."),
    ),
    PageInfo(
        "app_pages/train.py",
        N_("Train"),
        ":material/model_training:",
        N_("Train and compare"),
        N_("Train the network you picked, live, and compare runs."),
    ),
    PageInfo(
        "app_pages/degradation.py",
        N_("Degradation lab"),
        ":material/trending_down:",
        N_("Train and compare"),
        N_(
            "One click: plain-20 vs plain-56 vs ResNet-20 vs ResNet-56 (option A shortcuts, as the paper's "
            "CIFAR nets), plotted like the paper's Figure 6."
        ),
    ),
    PageInfo(
        "app_pages/identity_mappings.py",
        N_("Identity-mappings lab"),
        ":material/science:",
        N_("Train and compare"),
        N_("Residual-unit and shortcut variants from the second paper, trained side by side."),
    ),
    PageInfo(
        "app_pages/gradients.py",
        N_("Gradient flow"),
        ":material/waterfall_chart:",
        N_("Look inside"),
        N_("Gradient norms block by block, plain vs residual, and the shortcut's '1 +' term made visible."),
    ),
    PageInfo(
        "app_pages/attribution.py",
        N_("Where it looks"),
        ":material/center_focus_strong:",
        N_("Look inside"),
        N_("Upload a picture: Grad-CAM stage by stage and captum's attributions, for ImageNet ResNets or your runs."),
    ),
    PageInfo(
        "app_pages/why_it_works.py",
        N_("Why it works"),
        ":material/psychology:",
        N_("Look inside"),
        N_("Delete blocks, walk the loss landscape, look inside one block: plain vs residual on models that ship."),
    ),
)


def page(path: str) -> PageInfo:
    """The registered page whose script is ``path`` (e.g. "app_pages/train.py")."""
    return next(p for p in PAGES if p.path == path)


def sections() -> dict[str, list[PageInfo]]:
    """Pages grouped by navigation section, in registry order."""
    grouped: dict[str, list[PageInfo]] = {}
    for info in PAGES:
        grouped.setdefault(info.section, []).append(info)
    return grouped
