"""ResNet, seen from inside: the entry point (`streamlit run app.py`).

The frame of the app: page config, navigation built from the page registry (ui/registry.py), the
shared sidebar picker (widgets defined here keep their state across page switches), then the
selected page, then the device line. torch is imported only after the page has been drawn, so the
home page appears at once: in the background (ui/prefetch.py), so the next page finds it loaded.
"""

from ui import cluster, frame, language, picker, prefetch

frame.configure()
language.resolve()
picker.sync_url()  # before the navigation: one browser history entry per page (see sync_url)
navigation = frame.navigation()
language.language_switch()
picker.model_picker()
frame.device_line()
cluster.banner()
navigation.run()
frame.draw_device_line()
prefetch.start()
