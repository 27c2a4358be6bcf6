"""OneWindow's benchmarks: the real server, broker and database, driven by the device twins.

``python -m bench`` runs the scenarios (``bench.scenarios``) one after another, each on a fresh
rig (``bench.rig``: a database, a broker, a ``onewindow serve`` process, or several with
``--instances``), prints a table and writes the figures as JSON. The method of each scenario and
this machine's figures are in docs/performance.md.
"""
