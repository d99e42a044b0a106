"""The app's pages, in one place: app.py builds its navigation from this list and Home its map."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    """One page of the app: where its script lives and how navigation and Home present it."""

    path: str  # the script, relative to the repo root; its file name is the page's URL ("/shortcuts")
    title: str
    icon: str
    section: str
    blurb: str  # one line for Home's map of the app ("" for Home itself)
    default: bool = False


PAGES: tuple[PageInfo, ...] = (
    PageInfo("app_pages/home.py", "Home", ":material/home:", "Learn", "", default=True),
    PageInfo(
        "app_pages/architecture.py",
        "Architecture",
        ":material/table_chart:",
        "Explore the architecture",
        "The paper's Table 1 regenerated for any network, every layer with shapes, parameters and multiply-adds.",
    ),
    PageInfo(
        "app_pages/shortcuts.py",
        "Shortcuts",
        ":material/alt_route:",
        "Explore the architecture",
        "The whole network with its shortcuts: solid identity, dashed projection, dotted zero-padding.",
    ),
    PageInfo(
        "app_pages/train.py",
        "Train",
        ":material/model_training:",
        "Train and compare",
        "Train the network you picked, live, and compare runs.",
    ),
    PageInfo(
        "app_pages/degradation.py",
        "Degradation lab",
        ":material/trending_down:",
        "Train and compare",
        "One click: plain-20 vs plain-56 vs ResNet-20 vs ResNet-56 (option A shortcuts, as the paper's "
        "CIFAR nets), plotted like the paper's Figure 6.",
    ),
    PageInfo(
        "app_pages/identity_mappings.py",
        "Identity-mappings lab",
        ":material/science:",
        "Train and compare",
        "Residual-unit and shortcut variants from the second paper, trained side by side.",
    ),
    PageInfo(
        "app_pages/gradients.py",
        "Gradient flow",
        ":material/waterfall_chart:",
        "Look inside",
        "Gradient norms block by block, plain vs residual, and the shortcut's '1 +' term made visible.",
    ),
    PageInfo(
        "app_pages/attribution.py",
        "Where it looks",
        ":material/center_focus_strong:",
        "Look inside",
        "Upload a picture: Grad-CAM stage by stage and captum's attributions, for ImageNet ResNets or your runs.",
    ),
    PageInfo(
        "app_pages/why_it_works.py",
        "Why it works",
        ":material/psychology:",
        "Look inside",
        "Delete blocks, walk the loss landscape, look inside one block: plain vs residual on models that ship.",
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
