// Quick exit: with JavaScript, leave by replacing this page in the history, so that the back button does
// not bring it back; without JavaScript the link still leaves.
"use strict";
document.getElementById("quick-exit").addEventListener("click", function (event) {
  event.preventDefault();
  window.location.replace(event.currentTarget.href);
});
