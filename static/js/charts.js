// Draws every chart on the page from its JSON island (no inline script: CSP stays strict).
(function () {
  "use strict";
  // Dutch dates and numbers on the axes ("3 mrt", "7,4") when the page is in Dutch.
  var DUTCH = {
    moduleType: "locale",
    name: "nl",
    dictionary: {
      "Download plot as a png": "Grafiek opslaan als afbeelding",
      "Zoom in": "Inzoomen",
      "Zoom out": "Uitzoomen",
      "Reset axes": "Assen herstellen",
      "Pan": "Verschuiven",
      "Zoom": "Zoomen",
      "Autoscale": "Automatisch schalen",
      "Toggle Spike Lines": "Hulplijnen aan/uit",
      "Show closest data on hover": "Dichtstbijzijnde waarde tonen",
      "Compare data on hover": "Waarden vergelijken",
    },
    format: {
      days: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
      shortDays: ["zo", "ma", "di", "wo", "do", "vr", "za"],
      months: ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
        "september", "oktober", "november", "december"],
      shortMonths: ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt",
        "nov", "dec"],
      date: "%d-%m-%Y",
      decimal: ",",
      thousands: ".",
    },
  };
  function draw() {
    var nodes = document.querySelectorAll("[data-figure]");
    var lang = document.documentElement.getAttribute("lang") || "nl";
    if (window.Plotly && lang === "nl") { window.Plotly.register(DUTCH); }
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var source = document.getElementById(node.getAttribute("data-figure"));
      if (!source || !window.Plotly) { continue; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(node, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
        locale: lang === "nl" ? "nl" : "en",
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
      });
      node.setAttribute("data-drawn", "true");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
