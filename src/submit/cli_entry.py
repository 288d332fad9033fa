"""`python -m submit.cli_entry ...` runs the `submit` group (used where the console script is not on PATH)."""

from submit.cli import main

if __name__ == "__main__":
    main()
