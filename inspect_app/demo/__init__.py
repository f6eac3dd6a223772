"""The demo county and a realistic term of inspections, made through the real paths."""
