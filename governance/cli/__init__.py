"""The ``governance`` command line (typer). Every command is documented in docs/reference/cli.md.

Results go to stdout, diagnostics to stderr, and exit codes follow one table (``cli/output.py``).
Each module below registers its commands on ``app``.
"""

from __future__ import annotations

from governance.cli.output import new_typer

app = new_typer("Tracking-plan governance and data quality.")


def main() -> None:
    app()


# sub-command registration, one module per line
import governance.cli.bench  # noqa: E402
import governance.cli.db  # noqa: E402
import governance.cli.formats  # noqa: E402
import governance.cli.plan  # noqa: E402
import governance.cli.plan_remote  # noqa: E402
import governance.cli.plan_versions  # noqa: E402
import governance.cli.privacy  # noqa: E402
import governance.cli.quality  # noqa: E402
import governance.cli.server  # noqa: E402
import governance.cli.silences  # noqa: E402
import governance.cli.sources  # noqa: E402
import governance.cli.tokens  # noqa: E402
import governance.cli.validate  # noqa: E402, F401
