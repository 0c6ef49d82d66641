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
