"""The glossary's terms in one place: English and Chinese, one sentence, its source, where the app shows it.

Both terms are shown as they are in both languages (the page links the two vocabularies); the
explanation, its source and the name of the page's section are English marked with N_, shown with _().
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet_viz.i18n import N_


@dataclass(frozen=True)
class Term:
    english: str  # shown as is in both languages
    chinese: str  # shown as is in both languages
    meaning: str  # one sentence, true to the paper named in `source`
    source: str  # a short citation: paper, section / figure
    page: str  # the registered page that shows it (ui/registry.py)
    section: str  # where on that page: its heading, tab or control


HOME, SHORTCUTS, ARCHITECTURE = "app_pages/home.py", "app_pages/shortcuts.py", "app_pages/architecture.py"
DEGRADATION, IDENTITY, GRADIENTS = (
    "app_pages/degradation.py",
    "app_pages/identity_mappings.py",
    "app_pages/gradients.py",
)
ATTRIBUTION, WHY = "app_pages/attribution.py", "app_pages/why_it_works.py"

TERMS: tuple[Term, ...] = (
    Term(
        "degradation",
        "退化",
        N_(
            "As a plain network gets deeper, its accuracy saturates and then degrades: the deeper net has a higher "
            "*training* error, so the trouble is optimisation, not overfitting."
        ),
        N_("He et al. 2015, Sec. 1 and 4.1, Fig. 1, 4 and 6"),
        DEGRADATION,
        N_("the training curves at the top (the paper's Fig. 6)"),
    ),
    Term(
        "plain network",
        "普通网络",
        N_("The same stack of layers without any shortcut connection: the paper's baseline, inspired by VGG nets."),
        N_("He et al. 2015, Sec. 3.3, Fig. 3 (middle)"),
        DEGRADATION,
        N_("the training curves at the top (the paper's Fig. 6)"),
    ),
    Term(
        "residual",
        "残差",
        N_(
            "Instead of a wanted mapping $H(x)$, a block's layers learn the residual $F(x) = H(x) - x$ and the block "
            "outputs $F(x) + x$: if the identity is best, pushing $F$ to zero is easier than fitting an identity "
            "with nonlinear layers."
        ),
        N_("He et al. 2015, Sec. 3.1"),
        HOME,
        N_("The fix: learn a residual"),
    ),
    Term(
        "residual block",
        "残差块",
        N_(
            "A few stacked layers (two 3x3 convolutions in a basic block) whose output $F(x)$ is added to the "
            "block's input, carried by a shortcut: $y = F(x) + x$, followed by a ReLU in the original design."
        ),
        N_("He et al. 2015, Sec. 3.2, Fig. 2"),
        SHORTCUTS,
        N_("Inside a block"),
    ),
    Term(
        "shortcut connection",
        "捷径连接（shortcut）",
        N_(
            "A connection that skips one or more layers and adds its input to their output; an identity shortcut "
            "adds neither parameters nor computation."
        ),
        N_("He et al. 2015, Sec. 1 and 3.2"),
        SHORTCUTS,
        N_("the network diagram at the top"),
    ),
    Term(
        "identity mapping",
        "恒等映射",
        N_(
            "The function $h(x) = x$: an identity shortcut passes the block's input on unchanged, and when the "
            "activation after the addition is an identity too, signals travel directly from any block to any other, "
            "forward and backward."
        ),
        N_("He et al. 2016 (Identity Mappings), Sec. 2 and 3"),
        IDENTITY,
        N_("Shortcut variants (Table 1)"),
    ),
    Term(
        "solid / dashed shortcut",
        "实线 / 虚线",
        N_(
            "In the paper's Fig. 3, solid-line shortcuts are identities (same dimensions) and dotted-line ones, "
            "usually called dashed, increase the dimensions (option A or B); this app draws projections dashed and "
            "zero-padding dotted."
        ),
        N_("He et al. 2015, Sec. 3.3, Fig. 3"),
        SHORTCUTS,
        N_("the network diagram at the top"),
    ),
    Term(
        "zero-padding shortcut (option A)",
        "零填充捷径（选项 A）",
        N_(
            "Where the dimensions increase, the shortcut still performs an identity mapping (with stride 2 where "
            "the size halves) and pads the new channels with zeros: no extra parameters."
        ),
        N_("He et al. 2015, Sec. 3.3, Table 3"),
        SHORTCUTS,
        N_("Options A, B and C, trained side by side (Table 3)"),
    ),
    Term(
        "projection shortcut (option B / C)",
        "投影捷径（选项 B / C）",
        N_(
            "A 1x1 convolution $W_s x$ (with stride 2 where the size halves) matches the dimensions: option B uses "
            "it only where the dimensions increase, option C on every shortcut."
        ),
        N_("He et al. 2015, Eq. 2, Sec. 3.3 and 4.1, Table 3"),
        SHORTCUTS,
        N_("Options A, B and C, trained side by side (Table 3)"),
    ),
    Term(
        "1x1 convolution to reduce / increase dimensions",
        "1x1 卷积降维 / 升维",
        N_(
            "A 1x1 convolution changes only the number of channels: in a bottleneck block the first one reduces "
            "the dimensions and the last one increases (restores) them."
        ),
        N_("He et al. 2015, Sec. 4.1, Fig. 5"),
        ARCHITECTURE,
        N_("Why the bottleneck"),
    ),
    Term(
        "bottleneck",
        "瓶颈（瓶颈块）",
        N_(
            "The block of ResNet-50/101/152: 1x1, 3x3 and 1x1 convolutions, the 3x3 working on a quarter of the "
            "block's output channels, at about the time complexity of a two-layer basic block."
        ),
        N_("He et al. 2015, Sec. 4.1, Fig. 5"),
        ARCHITECTURE,
        N_("Why the bottleneck"),
    ),
    Term(
        "v1 vs v1.5 stride",
        "v1 与 v1.5 的步幅位置",
        N_(
            "Where a downsampling bottleneck block puts its stride 2: on the first 1x1 (the paper, v1) or on the "
            "3x3 (torchvision, v1.5), which costs more multiply-adds and is slightly more accurate."
        ),
        N_("torchvision's ResNet code; NVIDIA's ResNet50 v1.5 description (about 0.5 % better top-1)"),
        ARCHITECTURE,
        N_("Table 1"),
    ),
    Term(
        "pre-activation",
        "预激活",
        N_(
            "BN and ReLU moved before each weight layer, so nothing follows the addition and "
            "$x_{l+1} = x_l + F(x_l)$ exactly; very deep nets (ResNet-1001) train more easily and generalise better."
        ),
        N_("He et al. 2016 (Identity Mappings), Sec. 4, Fig. 4(e)"),
        IDENTITY,
        N_("Residual units (Table 2)"),
    ),
    Term(
        "batch normalisation (BN)",
        "批归一化（BN）",
        N_(
            "Normalises each channel with the statistics of the mini-batch (running averages at test time), then "
            "scales and shifts it; ResNets apply it right after each convolution and before the activation."
        ),
        N_("He et al. 2015, Sec. 3.4"),
        GRADIENTS,
        N_("the Batch normalisation switch at the top"),
    ),
    Term(
        "vanishing / exploding gradient",
        "梯度消失 / 梯度爆炸",
        N_(
            "Gradients that shrink or grow exponentially on their way back through many layers; the paper argues "
            "that BN keeps its plain nets' gradients healthy, so vanishing gradients do not explain degradation."
        ),
        N_("He et al. 2015, Sec. 1 and 4.1"),
        GRADIENTS,
        N_("What the paper says, and where it holds"),
    ),
    Term(
        "gradient flow",
        "梯度流",
        N_(
            "How the gradient of the loss travels back through the blocks; with identity shortcuts it contains a "
            "term that reaches every block directly, the 1 in $1 + \\partial(\\sum F)/\\partial x_l$."
        ),
        N_("He et al. 2016 (Identity Mappings), Eq. 4 and 5"),
        GRADIENTS,
        N_("the gradient norms block by block at the top"),
    ),
    Term(
        "Grad-CAM",
        "Grad-CAM（梯度加权类激活映射）",
        N_(
            "Weights a convolutional layer's feature maps by the average gradient of a class score over each map, "
            "adds them up and keeps the positive part: a coarse map of where the evidence for that class lies."
        ),
        N_("Selvaraju et al. 2017, Sec. 3"),
        ATTRIBUTION,
        N_("Grad-CAM stage by stage"),
    ),
    Term(
        "loss landscape",
        "损失曲面",
        N_(
            "The loss around the trained weights along random, filter-normalised directions: without shortcuts it "
            "turns chaotic as the net gets deeper, with shortcuts it stays smooth and nearly convex."
        ),
        N_("Li et al. 2018, Sec. 6, Fig. 5"),
        WHY,
        N_("2. The loss landscape"),
    ),
    Term(
        "lesion study",
        "删除实验（lesion study）",
        N_(
            "Deleting parts of a trained network at test time: removing one block of a ResNet barely changes its "
            "error, while removing one layer of a plain VGG net sends it to chance."
        ),
        N_("Veit et al. 2016, Sec. 4, Fig. 3"),
        WHY,
        N_("1. Delete a block"),
    ),
    Term(
        "ensemble of paths",
        "路径集成",
        N_(
            "A ResNet of n blocks holds 2^n paths from input to output, of different lengths, and behaves like an "
            "ensemble of them; most of the gradient in training comes from the short paths."
        ),
        N_("Veit et al. 2016, Sec. 3 and 5, Fig. 6"),
        WHY,
        N_("1. Delete a block"),
    ),
)
