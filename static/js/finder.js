// The finder's page (finder/templates/finder/search.html): the limits shown before sending, and the filters
// applied as they change. Without JavaScript the page works the same, only checked on sending; the server
// refuses what this lets through all the same, so nothing here is a rule, only its echo.
(function () {
  "use strict";

  function ticks() {
    return Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][name="profile_ids"]'));
  }

  // "2 of 3 chosen"; at the most (data-max, from the request service) the unticked boxes are disabled.
  function updateChosen() {
    var counter = document.getElementById("chosen-count");
    var boxes = ticks();
    var chosen = {};
    boxes.forEach(function (box) {
      if (box.checked) chosen[box.value] = true;
    });
    var count = Object.keys(chosen).length;
    if (!counter) return;
    var max = parseInt(counter.getAttribute("data-max"), 10);
    var full = count >= max;
    boxes.forEach(function (box) {
      box.disabled = full && !box.checked;
    });
    var text = counter.getAttribute(full ? "data-full-text" : "data-text");
    counter.textContent = text.replace("{chosen}", count);
  }

  // Characters left in the need, shown at once and said once the customer pauses.
  var sayLater = null;
  function updateNeed(say) {
    var need = document.getElementById("r-need");
    var shown = document.getElementById("r-need-left");
    var said = document.getElementById("r-need-left-said");
    if (!need || !shown) return;
    var left = Math.max(0, need.maxLength - need.value.length);
    var text = shown.getAttribute("data-text").replace("{left}", left);
    shown.textContent = text;
    clearTimeout(sayLater);
    if (!say || !said) return;
    sayLater = setTimeout(function () {
      said.textContent = text;
    }, 1000);
  }

  // A filter's answer arriving after the customer changed the form again would undo what they did: skip
  // it, the newer change brings its own.
  function formState(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "search") form.setAttribute("data-sent", formState(form));
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (form && form.id === "search" && document.contains(form) && form.getAttribute("data-sent") !== formState(form)) {
      event.detail.shouldSwap = false;
    }
  });

  // On a phone the filters fold away (a <details>, open as the page comes when one is chosen): one the customer
  // opened stays open while the results change under it, even when the last filter is cleared, and the filter
  // they were on keeps the focus (htmx could not give it back inside the folded box).
  var filtersOpen = false;
  var focusedId = "";
  document.addEventListener("htmx:beforeSwap", function () {
    var box = document.querySelector(".ls-filter-box");
    filtersOpen = Boolean(box && box.open);
    focusedId = document.activeElement ? document.activeElement.id : "";
  });
  document.addEventListener("htmx:afterSwap", function () {
    var box = document.querySelector(".ls-filter-box");
    if (!box || !filtersOpen || box.open) return;
    box.open = true;
    var focused = focusedId && document.getElementById(focusedId);
    if (focused && box.contains(focused)) focused.focus();
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "profile_ids") updateChosen();
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "r-need") updateNeed(true);
  });
  document.addEventListener("htmx:afterSettle", updateChosen);
  updateChosen();
  updateNeed(false);
})();
