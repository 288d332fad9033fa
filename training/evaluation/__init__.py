"""`python -m training evaluate`: evaluate a registered model, gate and promote it, export its policy."""
