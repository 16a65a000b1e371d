// Draws every chart on the page from its JSON island (no inline script: CSP stays strict).
(function () {
  "use strict";
  // Dutch dates and numbers on the axes ("15 nov", "7,4") when the page is in Dutch.
  var DUTCH = {
    moduleType: "locale",
    name: "nl",
    dictionary: {},
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
      // Day before month, as people say it: "15 nov", "15 nov 2026".
      year: "%Y",
      month: "%b %Y",
      dayMonth: "%-d %b",
      dayMonthYear: "%-d %b %Y",
    },
  };
  // English pages: the same day-month order ("15 Nov") as the text under the chart.
  var ENGLISH = {
    moduleType: "locale",
    name: "en-gb",
    dictionary: {},
    format: {
      date: "%d/%m/%Y",
      year: "%Y",
      month: "%b %Y",
      dayMonth: "%-d %b",
      dayMonthYear: "%-d %b %Y",
    },
  };
  // Below this chart width (CSS pixels) a figure's "narrow" patch applies (see charts.py).
  var NARROW_WIDTH = 560;
  var drawn = [];

  function layoutFor(figure, narrow) {
    var layout = JSON.parse(JSON.stringify(figure.layout));
    if (!narrow || !figure.narrow) { return layout; }
    Object.keys(figure.narrow).forEach(function (path) {
      var keys = path.split(".");
      var target = layout;
      for (var k = 0; k < keys.length - 1; k++) {
        if (typeof target[keys[k]] !== "object" || target[keys[k]] === null) {
          target[keys[k]] = {};
        }
        target = target[keys[k]];
      }
      target[keys[keys.length - 1]] = figure.narrow[path];
    });
    return layout;
  }

  function isNarrow(node) {
    return (node.clientWidth || window.innerWidth) < NARROW_WIDTH;
  }

  function draw() {
    var nodes = document.querySelectorAll("[data-figure]");
    var lang = document.documentElement.getAttribute("lang") || "nl";
    if (!window.Plotly) { return; }
    window.Plotly.register(lang === "nl" ? DUTCH : ENGLISH);
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var source = document.getElementById(node.getAttribute("data-figure"));
      if (!source) { continue; }
      var figure = JSON.parse(source.textContent);
      var narrow = isNarrow(node);
      var config = {
        // No toolbar: it covered the top of the chart and its tips were in English.
        // No zoom (by dragging, scrolling or a double click): the chart always shows the
        // period the text below it describes. Hovering still shows each reading.
        displayModeBar: false,
        displaylogo: false,
        scrollZoom: false,
        doubleClick: false,
        showAxisDragHandles: false,
        responsive: true,
        locale: lang === "nl" ? "nl" : "en-gb",
      };
      window.Plotly.newPlot(node, figure.data, layoutFor(figure, narrow), config);
      node.setAttribute("data-drawn", "true");
      node.setAttribute("data-narrow", narrow ? "true" : "false");
      drawn.push({ node: node, figure: figure, narrow: narrow, config: config });
    }
  }

  // Turning a phone or resizing a window across the limit redraws with the other layout.
  var pending = null;
  function onResize() {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      pending = null;
      drawn.forEach(function (chart) {
        var narrow = isNarrow(chart.node);
        if (narrow === chart.narrow) { return; }
        chart.narrow = narrow;
        chart.node.setAttribute("data-narrow", narrow ? "true" : "false");
        window.Plotly.react(chart.node, chart.figure.data, layoutFor(chart.figure, narrow),
          chart.config);
      });
    }, 200);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  window.addEventListener("resize", onResize);
})();
