"""A centre's configuration as a manager edits it: the centre file (TOML) and whether a change may land now."""
