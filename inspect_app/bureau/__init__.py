"""The bureau's figures and documents: roll-ups, rankings, charts, spreadsheet exports, bulletins."""
