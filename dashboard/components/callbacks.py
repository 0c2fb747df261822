"""Every server-side callback of the dashboard is registered through `callback` here, never
dash.callback directly (tests/dashboard/test_flag_pages.py checks the sources).

A callback reads through the scoped services with ids that come from the browser (a flag's id
in a store, a contract in the URL), so any of them may name a record the user may not see, or
none. The services answer both with NotFound; here it becomes the page's not-found state, as
`guarded` does for a page's layout: each `children` output shows it, any other output (a
download's data) is left as it was, and a callback with no `children` output answers no update
at all (204). Never a 500, and the same answer for a record out of scope as for no record."""

from collections.abc import Callable
from functools import wraps
from typing import Any

import dash
from dash import Output
from dash.exceptions import PreventUpdate

from app.core.errors import NotFound
from dashboard.components.page import not_found


def _outputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Output], bool]:
    """The callback's outputs, in order, and whether Dash expects a list of answers."""
    found: list[Output] = []
    listed = False
    for arg in (*args, kwargs.get("output")):
        if isinstance(arg, Output):
            found.append(arg)
        elif isinstance(arg, list | tuple) and arg and all(isinstance(a, Output) for a in arg):
            found += arg
            listed = True
    return found, listed or len(found) > 1


def not_found_answer(outputs: list[Output], listed: bool, detail: str) -> Any:
    answers = [not_found(detail) if output.component_property == "children"
               else dash.no_update for output in outputs]
    if all(answer is dash.no_update for answer in answers):
        raise PreventUpdate
    return answers if listed else answers[0]


def callback(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """dash.callback, with NotFound from the services answered as not found."""
    outputs, listed = _outputs(args, kwargs)

    def register(func: Callable[..., Any]) -> Any:
        @wraps(func)
        def answer(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return func(*call_args, **call_kwargs)
            except NotFound as exc:
                return not_found_answer(outputs, listed, exc.detail)
        return dash.callback(*args, **kwargs)(answer)
    return register
