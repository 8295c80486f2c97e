"""`python -m desktop_app` does what the `posecam` command does."""

from desktop_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
