"""Any dashboard path that is no page."""

from typing import Any

import dash

from dashboard.components.page import not_found

dash.register_page(__name__, path="/404", name="Not found")


def layout(**_query: Any) -> Any:
    return not_found()
