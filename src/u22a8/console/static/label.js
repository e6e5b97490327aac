// Keyboard shortcuts on the labeling page: a label's key stores it (classify) or ticks it
// (multilabel); "s" skips. Keys typed into a text box are left alone. Without JavaScript the
// buttons work as they are.
(function () {
  "use strict";
  var form = document.getElementById("label-form");
  if (!form) return;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" && target.type !== "checkbox" || target.tagName === "TEXTAREA")) return;
    var key = event.key.toLowerCase();
    if (!key || key.length !== 1) return;
    var control = form.querySelector('[data-key="' + key + '"]');
    if (!control) return;
    event.preventDefault();
    if (control.type === "checkbox") {
      control.checked = !control.checked;
    } else if (form.requestSubmit) {
      form.requestSubmit(control);
    } else {
      control.click();
    }
  });
})();
