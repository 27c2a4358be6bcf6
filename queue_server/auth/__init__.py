"""Who may do what: accounts, roles and tokens (accounts), and browser sessions (sessions)."""
