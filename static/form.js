// The public forms' only script; each form works without it.
"use strict";

// When the form is sent (its "send" buttons, or Enter in a field), the page being left takes
// the form's own address in the history first: Back from the confirmation then asks the
// server for the form again, which shows it blank and says what was just sent, instead of
// Chromium's "Confirm Form Resubmission" or an old error. Only then: until the family
// sends, a reload of a page that answered a POST (an error, "Vérifier", a child added) still
// offers to post again what was typed, and loses nothing.
document.querySelectorAll("form").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var sending = !button || button.name === "send";
    if (sending && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.href);
    }
  });
});

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

// A brother or a sister usually has the family name of the child before: when the parent
// starts a child's first name and its family name is empty, the previous child's is written
// there, to change if it differs. Only once that child is started, and taken back if its
// first name is emptied again untouched: a place left empty must stay empty, not a child.
var children = Array.prototype.slice.call(
  document.querySelectorAll("fieldset.child, fieldset.child-slot")
);
children.forEach(function (fieldset, index) {
  var first = fieldset.querySelector("input[name$='-first_name']");
  var last = fieldset.querySelector("input[name$='-last_name']");
  var previous = index > 0 && children[index - 1].querySelector("input[name$='-last_name']");
  if (!first || !last || !previous) {
    return;
  }
  var copied = false;
  first.addEventListener("input", function () {
    if (first.value && !last.value && previous.value) {
      last.value = previous.value;
      copied = true;
    } else if (!first.value && copied && last.value === previous.value) {
      last.value = "";
      copied = false;
    }
  });
  last.addEventListener("input", function () {
    copied = false;
  });
});
