// The public forms' only script; each form works without it.
"use strict";

// A form page that answers a POST (an error, "Vérifier", a child added or removed) takes the
// form's own address in the history: Back (after a send) and reload then ask the server for
// the page again, which shows a blank form saying what was just sent, instead of Chromium's
// "Confirm Form Resubmission" or an old error.
if (window.history && window.history.replaceState) {
  window.history.replaceState(null, "", window.location.href);
}

// "Ajouter un enfant" unfolds a place for one more child: its first field takes the focus,
// as the button that sent the form for it did.
document.querySelectorAll("details.child-more").forEach(function (details) {
  details.addEventListener("toggle", function () {
    if (!details.open) {
      return;
    }
    var first = details.querySelector("fieldset input");
    if (first) {
      first.focus();
    }
  });
});
