// Dark mode follows the browser (prefers-color-scheme): Bootstrap 5.3's and AG Grid's own dark
// themes are switched on by attributes, and switched again when the setting changes.
(function () {
    var query = window.matchMedia("(prefers-color-scheme: dark)");
    function apply() {
        var mode = query.matches ? "dark" : "light";
        document.documentElement.setAttribute("data-bs-theme", mode);
        document.documentElement.setAttribute("data-ag-theme-mode", mode);
        if (document.body) {
            document.body.setAttribute("data-ag-theme-mode", mode);
        }
    }
    apply();
    query.addEventListener("change", apply);
    document.addEventListener("DOMContentLoaded", apply);
})();
