// After htmx replaces the part of the page that held the keyboard focus (an action's button, a form),
// the focus would fall back to the top of the page. Move it to what the swap says happened instead:
// an error or notice first, else the new part's heading. A swap elsewhere (e.g. city suggestions while
// typing) leaves the focus where it is.
document.addEventListener("htmx:afterSettle", function (event) {
  var active = document.activeElement;
  if (active && active !== document.body && document.contains(active)) return;
  var swapped = event.detail.elt;
  if (!swapped || !document.contains(swapped)) swapped = document.getElementById("main");
  var target = swapped.querySelector('[role="alert"], [aria-invalid="true"], [role="status"], h1, h2, h3');
  if (!target) return;
  if (!target.matches("input, select, textarea, button, a[href]")) target.setAttribute("tabindex", "-1");
  target.focus();
});

// A table or box that scrolls sideways (below 64rem tables scroll in their own box: base.css) can only be
// scrolled from the keyboard if the focus can reach it (WCAG 2.1.1). One holding a link or a field already
// can; any other becomes a tab stop while it scrolls, and stops being one when the window grows again.
(function () {
  var REACHABLE = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';

  function markScrollingBoxes() {
    document.querySelectorAll("main table, main .overflow-auto").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth;
      if (box.hasAttribute("data-scroll-stop")) {
        if (!scrolls) {
          box.removeAttribute("tabindex");
          box.removeAttribute("data-scroll-stop");
        }
      } else if (scrolls && !box.hasAttribute("tabindex") && !box.querySelector(REACHABLE)) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-stop", "");
      }
    });
  }

  var pending;
  document.addEventListener("DOMContentLoaded", markScrollingBoxes);
  document.addEventListener("htmx:afterSettle", markScrollingBoxes);
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(markScrollingBoxes, 100);
  });
})();
