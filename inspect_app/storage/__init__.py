"""Storage: the only package that speaks SQL. Views and the core call these functions."""
