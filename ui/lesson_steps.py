"""The Lesson's steps as data, in the study notes' order: what each says, asks and links to.

Content only: the text (English marked with N_, shown with _()), its sources, the question and its choices, the
result's wording (filled with what `ui.lesson_figures` computes or loads) and the page to go deeper. The figures,
the numbers and which choice is right come from `ui.lesson_figures`, drawn by the library's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from resnet_viz.i18n import N_

SAME = "same"  # a choice key several steps use: "about the same"


@dataclass(frozen=True)
class Step:
    key: str  # also the key of its figure in `lesson_figures.FIGURES` and of its answers in the class's counts
    title: str
    text: str  # two to four sentences
    sources: tuple[str, ...]  # paper + section / figure / table, one per cited statement
    question: str  # asked before the result is shown
    choices: dict[str, str]  # choice key -> label
    result: str  # shown after answering: filled with the figure's facts
    figure_source: str  # what the figure is drawn from
    page: str  # the registered page to go deeper
    params: dict[str, str] = field(default_factory=dict)  # its URL parameters (the network and settings)
    terms: tuple[str, ...] = ()  # glossary terms the step uses (English, as in ui/glossary.py)


BUNDLED = N_(
    "the models that ship with the app (plain-20/56 and ResNet-20/56, trained 400 steps on the bundled digits by "
    "`python -m resnet_viz bundle-models`; assets/models)"
)
PAPER = N_("the paper's published numbers (assets/paper_numbers.json)")
PRECOMPUTED = N_(
    "the models that ship with the app, measured ahead by `python -m resnet_viz lesson-results` with the probes the "
    "Why-it-works and Gradient-flow pages run live (assets/models/lesson_results.json)"
)
COMPUTED = N_("the app's own tables of the network, computed here on the meta device (no weights)")

STEPS: tuple[Step, ...] = (
    Step(
        "depth",
        N_("Depth matters"),
        N_(
            "A deep network stacks layers that build low-, mid- and high-level features, and the 'levels' of features "
            "grow with the number of stacked layers. Every leading ImageNet model of 2015 was deep, from 16 to 30 "
            "layers. The paper's residual networks on CIFAR-10 range from 20 to 1202 layers."
        ),
        (N_("He et al. 2015, Sec. 1"), N_("He et al. 2015, Table 6")),
        N_("In the paper's Table 6 (CIFAR-10, with shortcuts), which has the lower test error?"),
        {"20": N_("ResNet-20"), "110": N_("ResNet-110"), SAME: N_("about the same")},
        N_("ResNet-110: {e110} % test error, against {e20} % for ResNet-20. With shortcuts, more depth helps."),
        PAPER,
        "app_pages/architecture.py",
        {"preset": "CIFAR ResNet-110"},
        ("residual block",),
    ),
    Step(
        "degradation",
        N_("Stacking layers should not hurt, yet it does"),
        N_(
            "Is learning better networks as easy as stacking more layers? The paper finds that deeper *plain* nets "
            "(no shortcuts) reach a higher training error: plain-56 above plain-20 on CIFAR-10 (Fig. 6), plain-34 "
            "above plain-18 on ImageNet (Fig. 4). The app ships the same four CIFAR-style nets trained on small digit "
            "pictures."
        ),
        (N_("He et al. 2015, Sec. 1 and 4.2, Fig. 1 and 6"), N_("He et al. 2015, Sec. 4.1, Fig. 4")),
        N_("After 400 steps on the digits, which plain net has the higher training error?"),
        {"plain-20": N_("plain-20"), "plain-56": N_("plain-56"), SAME: N_("about the same")},
        N_(
            "Training error on the whole training split: plain-56 {plain56} %, plain-20 {plain20} %. With shortcuts: "
            "ResNet-56 {resnet56} %, ResNet-20 {resnet20} %. The curves are the mini-batch training errors logged "
            "while they trained."
        ),
        BUNDLED,
        "app_pages/degradation.py",
        terms=("degradation", "plain network"),
    ),
    Step(
        "overfitting",
        N_("Degradation, not overfitting"),
        N_(
            "Overfitting is a lower training error with a higher test error. The deeper plain nets have the higher "
            "error on the training set itself, all through training (Fig. 4 and 6), and on ImageNet's validation set "
            "too (Table 2: plain-34 {plain34} % top-1 against {plain18} % for plain-18). So the optimiser fails to "
            "find a good solution; the paper calls it the degradation problem."
        ),
        (N_("He et al. 2015, Sec. 1 and 4.1"), N_("He et al. 2015, Table 2")),
        N_("Here too plain-56 has a higher test error than plain-20. Is that overfitting?"),
        {
            "yes": N_("yes: it fits the training pictures better but generalises worse"),
            "no": N_("no: its training error is higher as well"),
            "unknown": N_("cannot tell from training and test errors"),
        },
        N_(
            "plain-56: training error {plain56_train} %, test error {plain56_test} %; plain-20: {plain20_train} % and "
            "{plain20_test} %. {verdict}"
        ),
        BUNDLED,
        "app_pages/degradation.py",
        terms=("degradation",),
    ),
    Step(
        "identity",
        N_("The identity argument"),
        N_(
            "Take a trained shallow net and add layers that copy their input (identity mappings): the deeper net has "
            "exactly the shallow net's training error, so a deeper net *can* be at least as good. That deeper plain "
            "nets train worse means the solver does not find such weights: 'solvers might have difficulties in "
            "approximating identity mappings by multiple nonlinear layers'."
        ),
        (N_("He et al. 2015, Sec. 1"), N_("He et al. 2015, Sec. 3.1")),
        N_("What must the layers of a plain block (below) do to pass their input through unchanged?"),
        {
            "zero": N_("set all their weights to zero"),
            "combine": N_("make two convolutions, BatchNorms and ReLUs together compute exactly the identity"),
            "nothing": N_("nothing: a freshly initialised block already is the identity"),
        },
        N_(
            "Zero weights give zero, not the input, and random weights give something else again: the stack must "
            "compose to the identity, which the solver does not find. The figure is a plain block of plain-56: no "
            "shortcut beside it."
        ),
        COMPUTED,
        "app_pages/shortcuts.py",
        {"preset": "CIFAR ResNet-56", "residual": "false"},
        ("identity mapping", "plain network"),
    ),
    Step(
        "residual",
        N_("Learn a residual instead"),
        N_(
            "So make the identity the easy case: let the layers learn F(x) = H(x) − x and add x back through a "
            "shortcut, y = F(x) + x. To copy its input a block now only has to push F(x) towards zero. The paper "
            "finds the learned residual functions small (Fig. 7: the ResNets' layer responses are smaller than the "
            "plain nets')."
        ),
        (N_("He et al. 2015, Sec. 3.1 and 3.2, Eq. 1, Fig. 2"), N_("He et al. 2015, Sec. 4.2, Fig. 7")),
        N_("In the trained ResNet-56, how large is a block's F(x) against the x its shortcut carries?"),
        {
            "smaller": N_("smaller: ‖F(x)‖/‖x‖ below 1 in most blocks"),
            SAME: N_("about the same size"),
            "larger": N_("larger: the branch dominates"),
        },
        N_(
            "Median ‖F(x)‖/‖x‖ over ResNet-56's blocks: {trained} trained, {fresh} freshly initialised "
            "({pictures} test pictures). Solid lines: trained; dotted: fresh."
        ),
        PRECOMPUTED,
        "app_pages/why_it_works.py",
        terms=("residual", "shortcut connection"),
    ),
    Step(
        "one_plus",
        N_("The “1 +” in the gradient"),
        N_(
            "With identity shortcuts and nothing after the addition (pre-activation units), x_L = x_l + Σ F(x_i), so "
            "the gradient reaching block l is ∂E/∂x_L · (1 + ∂/∂x_l Σ F): the 1 carries it back to every block "
            "(Identity Mappings, Eq. 4-5). The first paper argues its plain nets' gradients stay healthy with "
            "BatchNorm (Sec. 4.1); later work finds them exploding at initialisation (Yang et al. 2019) or shattered "
            "(Balduzzi et al. 2017)."
        ),
        (
            N_("He et al. 2016 (Identity Mappings), Sec. 2, Eq. 4-5"),
            N_("He et al. 2015, Sec. 4.1"),
            N_("Yang et al. 2019; Balduzzi et al. 2017"),
        ),
        N_("At initialisation, 56 layers deep: in which net do the blocks' gradient norms spread over a wider range?"),
        {"plain-56": N_("plain-56"), "ResNet-56": N_("ResNet-56"), SAME: N_("about the same")},
        N_(
            "Spread of the weight-gradient norms over the blocks (log10 of largest / smallest): plain-56 {plain}, "
            "ResNet-56 {residual} orders of magnitude (one batch, seed {seed}, with BatchNorm)."
        ),
        N_(
            "the app's gradient probe on freshly initialised plain-56 and ResNet-56 (CIFAR style), run ahead by "
            "`python -m resnet_viz lesson-results` (assets/models/lesson_results.json)"
        ),
        "app_pages/gradients.py",
        {"preset": "CIFAR ResNet-56"},
        ("gradient flow", "vanishing / exploding gradient"),
    ),
    Step(
        "shapes",
        N_("Shortcuts must match shapes: solid and dashed"),
        N_(
            "The addition needs x and F(x) of the same shape. Inside a stage they match and the shortcut is the "
            "identity (drawn solid in the paper's Fig. 3); where a stage halves the feature map and doubles the "
            "channels, the shortcut must change shape too (drawn dotted there; this app draws a projection dashed)."
        ),
        (N_("He et al. 2015, Sec. 3.3, Fig. 3"),),
        N_("ResNet-34 has 16 blocks in 4 stages. How many of its shortcuts are dashed?"),
        {"0": "0", "3": "3", "4": "4", "16": "16"},
        N_("{dashed} dashed (where a stage begins: {blocks}), {solid} solid."),
        COMPUTED,
        "app_pages/shortcuts.py",
        {"preset": "ResNet-34"},
        ("solid / dashed shortcut", "projection shortcut (option B / C)"),
    ),
    Step(
        "options",
        N_("Options A, B and C"),
        N_(
            "For a dashed shortcut the paper tries three options: (A) zero-padding the new channels, no parameters; "
            "(B) 1x1 projections where the shape changes, identity elsewhere; (C) projections on every shortcut. "
            "Table 3 compares them on ResNet-34 (ImageNet)."
        ),
        (N_("He et al. 2015, Sec. 3.3 and 4.1"), N_("He et al. 2015, Table 3")),
        N_("Which option gives ResNet-34 the lowest top-1 error in Table 3?"),
        {"A": N_("A: zero-padding"), "B": N_("B: projections where the shape changes"), "C": N_("C: all projections")},
        N_(
            "Top-1 error: A {A} %, B {B} %, C {C} %. The differences are small: the paper concludes projections are "
            "not essential for the degradation problem and keeps B, whose extra parameters (table) are few."
        ),
        COMPUTED,
        "app_pages/shortcuts.py",
        {"preset": "ResNet-34"},
        ("zero-padding shortcut (option A)", "projection shortcut (option B / C)"),
    ),
    Step(
        "bottleneck",
        N_("The bottleneck"),
        N_(
            "From 50 layers on, the paper replaces a block's two 3x3 convolutions by 1x1, 3x3, 1x1: the first 1x1 "
            "reduces the channels, the second restores them, so the 3x3 works on fewer channels. The figure compares "
            "the bottleneck net with basic-block nets of the same depth."
        ),
        (N_("He et al. 2015, Sec. 4.1, Fig. 5"), N_("He et al. 2015, Table 1")),
        N_("ResNet-50 has 16 layers more than ResNet-34. How do its multiply-adds compare (Table 1)?"),
        {SAME: N_("about the same"), "1.5": N_("about 1.5 times"), "2": N_("about twice")},
        N_("Table 1: ResNet-34 {g34} G multiply-adds, ResNet-50 {g50} G: {ratio} times."),
        COMPUTED,
        "app_pages/architecture.py",
        {"preset": "ResNet-50"},
        ("bottleneck",),
    ),
    Step(
        "v15",
        N_("v1 and v1.5"),
        N_(
            "In a bottleneck block that halves the map, the paper puts the stride 2 on the first 1x1 convolution "
            "(v1). torchvision and NVIDIA put it on the 3x3 ('v1.5'), about 0.5 % better top-1 on ImageNet."
        ),
        (N_("He et al. 2015, Table 1"), N_("torchvision's ResNet documentation; NVIDIA's ResNet50 v1.5")),
        N_("Moving the stride from the 1x1 (v1) to the 3x3 (v1.5): ResNet-50's multiply-adds…"),
        {"more": N_("rise"), "fewer": N_("fall"), SAME: N_("stay the same")},
        N_(
            "ResNet-50 v1: {v1} G multiply-adds; v1.5: {v15} G. The 3x3 now runs at the larger resolution. The "
            "figure shows v1.5, stage by stage."
        ),
        COMPUTED,
        "app_pages/architecture.py",
        {"preset": "ResNet-50", "stride_on": "1x1"},
        ("v1 vs v1.5 stride",),
    ),
    Step(
        "thousand",
        N_("Over a thousand layers"),
        N_(
            "With shortcuts the paper trains a 1202-layer net on CIFAR-10 with no optimisation difficulty: its "
            "training error falls below 0.1 %. Identity Mappings later trains a pre-activation ResNet-1001 to "
            "{preact} % test error."
        ),
        (N_("He et al. 2015, Sec. 4.2, Table 6"), N_("He et al. 2016 (Identity Mappings)")),
        N_("ResNet-1202 fits its training set. Its test error against ResNet-110's?"),
        {"lower": N_("lower"), "higher": N_("higher"), SAME: N_("about the same")},
        N_(
            "ResNet-1202: {e1202} % against {e110} % for ResNet-110 ({p1202}M against {p110}M parameters). The "
            "paper blames overfitting on a small data set, not degradation."
        ),
        PAPER,
        "app_pages/architecture.py",
        {"preset": "CIFAR ResNet-1202"},
        ("pre-activation",),
    ),
    Step(
        "lesion",
        N_("Why it works (1): delete a block"),
        N_(
            "Veit et al. delete single blocks of a trained ResNet-110 at test time: the error barely moves, while "
            "deleting one layer of a plain net sends it to chance. They read a ResNet as an ensemble of many paths, "
            "most of them short, rather than one very deep net: a different view from the original paper's, which "
            "speaks of an easier optimisation."
        ),
        (N_("Veit et al. 2016, Sec. 4, Fig. 3"), N_("He et al. 2015, Sec. 3.1")),
        N_("Delete one block of the trained 56-layer nets at test time. What happens?"),
        {
            "resnet_survives": N_("the ResNet barely changes, the plain net breaks"),
            "plain_survives": N_("the plain net barely changes, the ResNet breaks"),
            "both_break": N_("both break"),
            "neither": N_("neither changes much"),
        },
        N_(
            "Median test error with one block deleted: ResNet-56 {resnet} % (intact {resnet_base} %), plain-56 "
            "{plain} % (intact {plain_base} %), on {pictures} test pictures."
        ),
        PRECOMPUTED,
        "app_pages/why_it_works.py",
        terms=("lesion study", "ensemble of paths"),
    ),
    Step(
        "landscape",
        N_("Why it works (2): the loss landscape"),
        N_(
            "Li et al. plot the loss around trained weights along random, filter-normalised directions: ResNet-56 on "
            "CIFAR-10 sits in a smooth, nearly convex bowl, the same net without shortcuts in a chaotic landscape, "
            "more so the deeper it is. Easier optimisation, seen directly."
        ),
        (N_("Li et al. 2018, Fig. 5"),),
        N_("Walk away from the trained weights along one random direction: whose loss curve is rougher?"),
        {"plain-56": N_("plain-56"), "ResNet-56": N_("ResNet-56"), SAME: N_("about the same")},
        N_(
            "Roughness (mean |second difference| of the loss along the line): plain-56 {plain}, ResNet-56 "
            "{residual} ({points} points, ±{span}, {pictures} test pictures)."
        ),
        PRECOMPUTED,
        "app_pages/why_it_works.py",
        terms=("loss landscape",),
    ),
)


def step_index(key_or_number: str | None) -> int:
    """The 0-based index of a step given as its 1-based number ("4"); 0 for anything else."""
    try:
        number = int(key_or_number or 1)
    except ValueError:
        return 0
    return min(max(number, 1), len(STEPS)) - 1
