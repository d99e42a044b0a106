"""Plotly figures: pure functions from the library's tables to `plotly.graph_objects.Figure`.

One module per analysis, imported by its full path (``from resnet_viz.figures.gradients import
gradient_vs_depth``); they share one look from `style` (the Okabe-Ito palette, the font, `layout`):

* `architecture`: shortcut diagram, block diagram, cost per stage (`analysis` tables);
* `gradients`: gradient norms across depth and during training (`gradients.gradient_norms` tables);
* `training`: training curves, the paper's Figure 6 and variant bars (`RunStore` tables);
* `attribution`: top-k predictions and the localisation check (`attribution` results).
"""
