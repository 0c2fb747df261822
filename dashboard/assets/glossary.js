// The glossary page (dashboard/pages/glossary.py), in the browser: a file, not inline, so the
// CSP needs no hash, and no server callback.
// - Find as you type: entries whose title or words do not hold what was typed are hidden, and
//   the status line says how many are shown (read out by screen readers: role=status).
// - The page is drawn after the browser has looked for the URL's #anchor, so the entry is
//   scrolled to and its title focused once it is drawn (the search cleared if it hid it).
(function () {
    function filter(box) {
        var words = box.value.trim().toLowerCase();
        var entries = document.querySelectorAll("#glossary-list .glossary-entry");
        var shown = 0;
        entries.forEach(function (entry) {
            var match = !words || entry.textContent.toLowerCase().indexOf(words) !== -1;
            entry.hidden = !match;
            shown += match ? 1 : 0;
        });
        var count = document.getElementById("glossary-count");
        if (count) {
            count.textContent = shown === entries.length ? entries.length + " terms"
                : shown + " of " + entries.length + " terms";
        }
    }

    var reached = null;
    function reachAnchor() {
        var slug = decodeURIComponent(window.location.hash.slice(1));
        if (!slug || reached === window.location.href) {
            return;
        }
        var entry = document.getElementById(slug);
        var title = document.getElementById(slug + "-title");
        if (!entry || !title || !entry.classList.contains("glossary-entry")) {
            return;
        }
        reached = window.location.href;
        var box = document.querySelector("#glossary-search input, input#glossary-search");
        if (entry.hidden && box) {  // a link to a term the search hides: show them all
            box.value = "";
            filter(box);
        }
        entry.classList.add("glossary-target");
        title.focus();
        // After the frame Dash is drawing: its layout can still move the page under us.
        window.requestAnimationFrame(function () {
            entry.scrollIntoView({block: "start"});
        });
    }

    document.addEventListener("input", function (event) {
        // Dash may wrap the input: the box is the input inside the element with the id.
        if (event.target && event.target.closest && event.target.closest("#glossary-search")) {
            filter(event.target);
        }
    });
    window.addEventListener("hashchange", function () {
        document.querySelectorAll(".glossary-target").forEach(function (entry) {
            entry.classList.remove("glossary-target");
        });
        reached = null;
        reachAnchor();
    });
    new MutationObserver(reachAnchor).observe(document.documentElement,
                                              {childList: true, subtree: true});
})();
