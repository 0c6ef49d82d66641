// The referral page's keyboard shortcuts (the list is referrals/forms.py SHORTCUTS, shown by pressing ?).
// A key clicks the button or link marked data-shortcut="<key>", or moves the focus to the field so marked,
// so the page's markup says what each key does and htmx's swaps of the panel need nothing from here.
// Keys typed into a field, or with Ctrl, Alt or Meta, are left alone; actions that close a referral are only
// ever reached through their form, which still asks (hx-confirm).
(function () {
  "use strict";

  function typing(element) {
    return Boolean(element) && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  function toggleHelp(help) {
    if (help.open) help.close();
    else help.showModal();
  }

  document.addEventListener("keydown", function (event) {
    var help = document.getElementById("shortcuts-help");
    if (!help || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp(help);
      return;
    }
    if (help.open) return;
    var target = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.matches("button, a[href]")) target.click();
    else target.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var opener = document.querySelector("[data-shortcuts-open]");
    var help = document.getElementById("shortcuts-help");
    if (!opener || !help) return;
    opener.hidden = false;
    opener.addEventListener("click", function () {
      help.showModal();
    });
  });
})();
