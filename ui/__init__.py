"""Streamlit glue for the app, one module per concern; the library (resnet_viz) never imports this.

- registry: the pages (path, title, icon, section, blurb); app.py's navigation and Home read it
- frame: page config, navigation, the device line, early stops, links, the deep-link hand-off
- picker: the sidebar's network picker and its URL state
- progress: progress bars and Cancel for slow work in the page
- architecture, training, gradients, attribution (+ attribution_compare): cached loaders and
  widgets per feature
"""
