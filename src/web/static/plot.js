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
  var lang = document.documentElement.lang === 'ja' ? 'ja-JP' : 'en-GB';
  // Axis ticks and the cursor's time in the reader's language and zone (uPlot's own are US-style).
  var fmt = function (opts) {
    var f = new Intl.DateTimeFormat(lang, Object.assign({ timeZone: zone, hourCycle: 'h23' }, opts));
    return function (ts) { return f.format(new Date(ts * 1000)); };
  };
  var timeOnly = fmt({ hour: '2-digit', minute: '2-digit' });
  var withSeconds = fmt({ hour: '2-digit', minute: '2-digit', second: '2-digit' });
  var dayTime = fmt({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  var full = fmt({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  var dayOf = fmt({ year: 'numeric', month: 'numeric', day: 'numeric' });
  var ticks = function (u, splits) {
    var step = splits.length > 1 ? splits[1] - splits[0] : 3600;
    var time = step < 60 ? withSeconds : timeOnly;
    return splits.map(function (ts, i) {
      // A tick names its day when the day changes (and on the first tick), else the time alone.
      return i === 0 || dayOf(ts) !== dayOf(splits[i - 1]) ? dayTime(ts) + (step < 60 ? ':' + withSeconds(ts).slice(-2) : '') : time(ts);
    });
  };
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
        { label: lang === 'ja-JP' ? '時刻' : 'Time', value: function (u, ts) { return ts == null ? '-' : full(ts); } },
        { label: 'max', stroke: '#cf222e', width: 1, dash: [4, 4] },
        { label: 'avg', stroke: '#0969da', width: 2 },
        { label: 'min', stroke: '#1a7f37', width: 1, dash: [4, 4] },
      ],
      axes: [{ values: ticks, size: 40, space: 90, incrs: [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800] }, { label: d.label || 'ms', size: 60 }],
    };
    el.replaceChildren();
    new uPlot(opts, [d.t, d.max, d.avg, d.min], el);
    el.dataset.drawn = 'yes';
  });
})();
