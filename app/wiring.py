"""Installs every domain's reactions to the changes other domains publish (app.core.changes).

Called once per process by whatever starts chainboard: the application factory, the CLI and
the test set-up. Reactions to one change run in the order installed here: checks are
rescheduled before the daily totals are rebuilt from them, and flags are marked stale last.
"""

from app.compliance import reactions as compliance
from app.core import changes
from app.ingest import reactions as ingest
from app.performance import reactions as performance
from app.regime import reactions as regime


def install_reactions() -> None:
    changes.clear()
    ingest.register()
    performance.register()
    compliance.register()
    regime.register()
