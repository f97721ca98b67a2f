"""``python -m dagster_project.mapping --mapping NAME --input DIR [--check]`` (see ``cli``)."""

import sys

from dagster_project.mapping.cli import main

if __name__ == "__main__":
    sys.exit(main())
