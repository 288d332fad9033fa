"""One thin module per command group (STYLE.md 7)."""
