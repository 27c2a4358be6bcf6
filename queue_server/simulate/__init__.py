"""The hall simulator (`onewindow simulate`): a day of a hall on virtual time, on the real domain core.

``profiles`` reads who comes and who staffs the windows, ``model`` draws the day and orders its
events, ``runner`` plays them against a real ``Hall`` through the real commands, ``report``
turns what happened into figures and tables, ``charts`` draws them. docs/simulator.md explains
the figures and the profile format.
"""
