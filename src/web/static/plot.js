/*
 * mamoru console: response-time plots. Every element with `data-plot` holds its series as JSON
 * (written by the server, never fetched from elsewhere): { t: [unix seconds], avg: [ms|null],
 * min: [ms|null], max: [ms|null], label: "ms" }. Drawn with uPlot (served from its npm package at
 * /static/uplot.js). Without script the page shows the state band and the results table instead.
 */
(function () {
  'use strict';
  if (!window.uPlot) return;
  var zone = document.body.dataset.zone || 'UTC';
  Array.prototype.forEach.call(document.querySelectorAll('[data-plot]'), function (el) {
    var d;
    try {
      d = JSON.parse(el.getAttribute('data-plot'));
    } catch (e) {
      return;
    }
    if (!d.t || d.t.length === 0) return;
    var width = Math.max(300, Math.min(el.clientWidth || 900, 1200));
    var opts = {
      width: width,
      height: 220,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), zone); },
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'max', stroke: '#cf222e', width: 1, dash: [4, 4] },
        { label: 'avg', stroke: '#0969da', width: 2 },
        { label: 'min', stroke: '#1a7f37', width: 1, dash: [4, 4] },
      ],
      axes: [{}, { label: d.label || 'ms', size: 60 }],
    };
    el.replaceChildren();
    new uPlot(opts, [d.t, d.max, d.avg, d.min], el);
    el.dataset.drawn = 'yes';
  });
})();
