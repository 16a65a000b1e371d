// Recovery codes page: a button that opens the browser's print dialog. Without
// JavaScript the button stays hidden and people use the browser's own print menu.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("print-codes");
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
