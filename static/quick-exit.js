// Leaving safely, on every page. Quick exit: with JavaScript, leave by replacing this page in the history,
// so that the back button does not bring it back; without JavaScript the link still leaves.
// Forgetting: what a page shows once (a receipt, an account's status with its follow-up key) is marked
// data-forget; when the page is left, whatever of it is on show is removed, so that a page the browser keeps
// in memory for its Back button holds none of it, and such a page, if brought back, loads afresh instead.
"use strict";
document.getElementById("quick-exit").addEventListener("click", function (event) {
  event.preventDefault();
  window.location.replace(event.currentTarget.href);
});
window.addEventListener("pagehide", function () {
  document.querySelectorAll("[data-forget]").forEach(function (element) {
    if (element.hidden) return;
    element.remove();
    document.documentElement.setAttribute("data-forgotten", "true");
  });
});
window.addEventListener("pageshow", function (event) {
  if (event.persisted && document.documentElement.hasAttribute("data-forgotten")) {
    // A GET of the same address: a page that answered a form comes back as the empty form, never re-posted.
    window.location.replace(window.location.href);
  }
});
