"""Figures: pure functions from the library's tables to `plotly.graph_objects.Figure` (or SVG text, `svg`).

One module per analysis, imported by its full path (``from resnet_viz.figures.gradients import
gradient_vs_depth``); they share one look: the Okabe-Ito palette and the font of `palette`, and `style`'s
template and `layout` for the Plotly ones.
Drawing needs no torch: the probes' result types are imported for type checking only, and `nets.naming`
(plain string parsing) is the one library module figures import at run time (`tests/figures` checks).


* `shortcut_diagram`: the whole network, every shortcut an arc (`tables.shortcut_table`);
* `block_diagram`: the inside of one block (`tables.layer_table`);
* `drawing`: the parts both diagrams draw with (layout, main path, "+" nodes, legend entries, `KIND_STYLE`);
* `costs`: parameters and multiply-adds per stage, and three block designs (`stage_table`, `costs` tables);
* `gradients`: gradient norms across depth and during training (`gradients.gradient_norms` tables);
* `training`: training curves, the paper's Figure 6 and variant bars (`RunStore` tables);
* `svg`: Home's Figure 6 as inline SVG, drawn before Plotly or pandas load (`shipped.bundled_runs`);
* `attribution`: top-k predictions and the localisation check (`attribution` results);
* `inside`, `landscape`, `lesion`, `responses`: the "why it works" probes' results.
"""
