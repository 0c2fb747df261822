// Repairs to the ARIA of parts that libraries draw and their props cannot reach (axe-core checks
// the result in tests/browser/test_accessibility.py). A file, not inline: the CSP needs no hash.
// - Dash's date box puts its pop-up state (aria-expanded, aria-haspopup) on its frame, a plain
//   div where ARIA does not allow them: they move to the input inside, a combobox that opens a
//   calendar dialog (the ARIA 1.2 date picker pattern). Its name (aria-labelledby) goes too: a
//   plain div may not be named, and the input carries the label's words itself.
// - Its "Clear date" cross is an <a> without href: not reachable by Tab, and a name on no role.
//   It becomes a button that Tab reaches and Enter or Space presses.
// - dcc.Upload's file input has no label: it is named by what the drop area says.
// - AG Grid shows a column header's tooltip (the glossary's words) on hover or on focus, not
//   both (its tooltipTrigger): focus on a header plays the pointer's part, so the keyboard
//   gets the words too; leaving the header (or a key) hides them, as AG Grid does for the mouse.
(function () {
    function repairDateBox(frame) {
        var input = frame.querySelector("input");
        ["aria-expanded", "aria-haspopup"].forEach(function (name) {
            if (!frame.hasAttribute(name)) {
                return;
            }
            if (input) {
                input.setAttribute(name, frame.getAttribute(name));
            }
            frame.removeAttribute(name);
        });
        frame.removeAttribute("aria-labelledby");
        if (input && input.getAttribute("role") !== "combobox") {
            input.setAttribute("role", "combobox");
            input.setAttribute("aria-autocomplete", "none");
        }
    }

    function repairClear(cross) {
        cross.setAttribute("role", "button");
        cross.setAttribute("tabindex", "0");
        cross.addEventListener("keydown", function (event) {
            if (event.key === "Enter" || event.key === " ") {
                event.preventDefault();
                cross.click();
            }
        });
    }

    function repairUpload(input) {
        var area = input.parentElement;
        var words = area ? area.innerText.trim() : "";
        input.setAttribute("aria-label", words || "Choose a file to upload");
    }

    function repair() {
        document.querySelectorAll(".dash-datepicker-input-wrapper[aria-expanded], " +
                                  ".dash-datepicker-input-wrapper[aria-haspopup], " +
                                  ".dash-datepicker-input-wrapper[aria-labelledby]")
            .forEach(repairDateBox);
        document.querySelectorAll(".dash-datepicker-clear:not([role])").forEach(repairClear);
        document.querySelectorAll("input[type=file]:not([aria-label])").forEach(repairUpload);
    }

    function pointAt(header, type) {
        var box = header.getBoundingClientRect();
        header.dispatchEvent(new MouseEvent(type, {
            clientX: box.left + box.width / 2, clientY: box.top + box.height / 2}));
    }

    ["focusin", "focusout"].forEach(function (type) {
        document.addEventListener(type, function (event) {
            var header = event.target && event.target.closest &&
                event.target.closest(".ag-header-cell");
            if (header) {
                pointAt(header, type === "focusin" ? "mouseenter" : "mouseleave");
            }
        });
    });

    // WCAG 1.4.13: a figure's meaning shown on hover or focus (the "i", components/explain.py)
    // can be dismissed with Escape without moving the pointer or the focus; it shows again
    // on the next hover or focus.
    document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && document.querySelector(
                ".what-is-frame:hover, .what-is:focus")) {
            document.body.classList.add("what-is-dismissed");
        }
    });
    function showMeaningsAgain() {
        document.body.classList.remove("what-is-dismissed");
    }
    document.addEventListener("focusin", showMeaningsAgain);
    document.addEventListener("mouseenter", function (event) {  // captured: it does not bubble
        if (event.target.classList && event.target.classList.contains("what-is-frame")) {
            showMeaningsAgain();
        }
    }, true);

    new MutationObserver(repair).observe(document.documentElement, {
        childList: true, subtree: true, attributes: true,
        attributeFilter: ["aria-expanded", "aria-haspopup", "aria-labelledby"],
    });
    document.addEventListener("DOMContentLoaded", repair);
})();
