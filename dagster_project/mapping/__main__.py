"""``python -m dagster_project.mapping --mapping NAME --input DIR [--check]``."""

import sys

from dagster_project.mapping.source_mapping import main

sys.exit(main())
