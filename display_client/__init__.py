"""Drives a hall board or a window display from the bus, with voice announcements."""
