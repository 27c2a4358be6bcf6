"""ESPHome configurations of the ESP32 devices, rendered from the protocol module.

``firmware_configs/`` at the repository's root holds the rendered files (committed);
:func:`render.render_tree` makes them again, :func:`render.render_device` makes one device's.
"""
