// A date preset keeps what else the address holds *now*: a grid's sort and filters are written
// there by history.replaceState after the page was drawn (dashboard/components/grid_state.py),
// so the link's href, drawn by the server, would drop them. The click is taken before the
// link's own handler and navigates as dcc.Link does (pushState, then Dash's event).
(function () {
    document.addEventListener("click", function (event) {
        // The preset's dates are on the span around its link (dcc.Link takes no data-*).
        var link = event.target.closest ? event.target.closest("[data-preset-from] a") : null;
        var preset = link ? link.parentElement : null;
        if (!preset || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
                event.altKey) {
            return;
        }
        var params = new URLSearchParams(window.location.search);
        params.set("from", preset.getAttribute("data-preset-from"));
        params.set("to", preset.getAttribute("data-preset-to"));
        event.preventDefault();
        event.stopPropagation();
        window.history.pushState({}, "", window.location.pathname + "?" +
            params.toString().replace(/%3A/gi, ":"));  // as the grids write it: readable
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    }, true);
})();
