"""Prints tickets and one-time notices on ESC/POS thermal printers."""
