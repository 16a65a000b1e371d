// Dossier: the "Copy" button of the journal text. Copies with the Clipboard API; where
// that is missing or refused (no https, no permission), it selects the text so that
// Ctrl+C / Cmd+C copies it. Announces the outcome in the live region next to it.
// Without JavaScript the button stays hidden and the read-only text can be selected.
(function () {
  "use strict";

  function selectAll(area) {
    area.focus();
    area.select();
    area.setSelectionRange(0, area.value.length);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("journal-copy");
    var area = document.getElementById("journal-text");
    var status = document.getElementById("journal-status");
    if (!button || !area || !status) {
      return;
    }
    function say(text) {
      // Empty first, so the same words twice in a row are announced again.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = text;
      }, 50);
    }
    function fallback() {
      selectAll(area);
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (e) {
        copied = false;
      }
      say(copied ? button.dataset.copied : button.dataset.selected);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(function () {
          say(button.dataset.copied);
        }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
