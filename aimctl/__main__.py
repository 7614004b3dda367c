"""`python -m aimctl` behaves exactly like the `aimctl` script."""

from aimctl._entry import main

if __name__ == "__main__":
    main()
