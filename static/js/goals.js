// Goal form: show only the fields for the chosen kind of goal. Without JavaScript
// both groups stay visible and the server ignores the ones that do not apply.
(function () {
  "use strict";
  function update() {
    var chosen = document.querySelector('input[name="kind"]:checked');
    var kind = chosen ? chosen.value : null;
    document.querySelectorAll(".goal-form [data-kind]").forEach(function (group) {
      group.hidden = kind !== null && group.getAttribute("data-kind") !== kind;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('input[name="kind"]').forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  });
})();
