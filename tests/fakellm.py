"""Temporary shim: the fake server moved to evals/fakellm.py."""
from evals.fakellm import main

if __name__ == "__main__":
    main()
