// Sample uploads: refuse a file over the server's body limit before sending it, and turn the
// server's own refusal (413 problem+json from the API's body-size middleware, which answers
// before any console code runs) into a sentence instead of letting the browser show raw JSON.
// Without JavaScript the form posts as usual. No libraries: the console must work offline.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var input = document.getElementById("samples-file");
  var errorBox = document.getElementById("upload-error");
  var statusBox = document.getElementById("upload-status");
  var button = form.querySelector("button[type=submit]");
  var maxText = form.dataset.maxText || "";
  // The limit counts the whole request: the multipart envelope and the other fields too.
  var HEADROOM = 16 * 1024;
  var describedBy = input.getAttribute("aria-describedby") || "";

  function fmtSize(n) {
    var units = [["GB", 1073741824], ["MB", 1048576], ["KB", 1024]];
    for (var i = 0; i < units.length; i++) {
      if (n >= units[i][1]) {
        var v = n / units[i][1];
        return (v >= 10 || v === Math.floor(v) ? v.toFixed(0) : v.toFixed(1)) + " " + units[i][0];
      }
    }
    return n + " bytes";
  }

  function showError(text, focus) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    statusBox.textContent = "";
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", (describedBy + " upload-error").trim());
    button.disabled = false;
    if (focus) { input.focus(); }
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", describedBy);
  }

  function tooBig(file) {
    var maxBytes = Number(form.dataset.maxBytes) || 0;  // 0: no limit known, let the server say
    return maxBytes > 0 && file.size + HEADROOM > maxBytes;
  }

  function tooBigText(file) {
    return "“" + file.name + "” is " + fmtSize(file.size) + ": uploads are limited to " + maxText +
      " a file. Split it into smaller files and upload them one after another.";
  }

  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (file && tooBig(file)) { showError(tooBigText(file), false); } else { clearError(); }
  });

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (!file) { return; }  // the browser's own "required" message
    event.preventDefault();
    if (tooBig(file)) { showError(tooBigText(file), true); return; }
    clearError();
    button.disabled = true;
    statusBox.textContent = "Uploading " + file.name + " (" + fmtSize(file.size) + ")…";
    // "manual": the answer to a good upload is a redirect to the model page carrying its outcome
    // in a one-shot cookie; following it here would show (and spend) that message unseen.
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
          statusBox.textContent = "Uploaded; loading the result…";
          window.location.assign(form.dataset.done);
          return null;
        }
        if (response.status === 413) {
          return response.text().then(function (body) {
            var detail = "";
            try { detail = JSON.parse(body).detail || ""; } catch (e) { /* a proxy's own page */ }
            showError("The server refused this upload as too large" + (detail ? " (" + detail + ")" : "") +
              ". Uploads are limited to " + maxText + " a request: split the file into smaller ones.", true);
          });
        }
        // Anything else (an expired form, a missing scope…) is an HTML page: let the browser show it.
        form.submit();
        return null;
      })
      .catch(function () {
        showError("The upload stopped before the server answered. Check the connection and try again; " +
          "files are limited to " + maxText + ".", true);
      });
  });
}());
