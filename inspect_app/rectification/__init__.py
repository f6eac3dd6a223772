"""Rectification (整改): the items' state machine and deadlines, evidence checks, and who is told what."""
