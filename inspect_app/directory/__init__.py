"""Who and what the bureau administers: accounts' passwords and the school registry's import."""
