"""Local runs: the job's own trainer on this machine, in the virtual environment its kind needs (runner.py)."""
