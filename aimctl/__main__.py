"""`python -m aimctl` behaves exactly like the `aimctl` script."""

from aimctl.cli import main

if __name__ == "__main__":
    main()
