/*
 * mamoru console: live updates. One EventSource per tab on /api/v1/events (server-sent events,
 * already limited to what the reader may see). Pages are complete without this script; it only
 * updates them in place, keeping the scroll position. No polling: without news nothing is fetched.
 *
 * THE CONTRACT FOR PAGES (any page may use it):
 *
 * 1. Regions. An element with `data-live="NAME"` is reloaded when news concerns it: live.js fetches
 *    the page's own URL again and replaces the element's children with those of the element with
 *    the same `data-live` value in the fetched page (at most one fetch per page every 2 s; nothing
 *    else on the page changes, the scroll stays). Which news refreshes a region:
 *      data-live-on="incident ban delivery check"  event types (default: "incident ban delivery")
 *      data-live-target="alpha"                     only news of this target
 *      data-live-check="alpha/up"                   only check news of this check
 *      data-live-incident="12"                      only incident/delivery news of this incident
 *
 * 2. The overview's rows. `<tr data-check="ID" data-bucket="B">` with cells `data-field="text"`
 *    and `data-field="last_check"` get the check's new text and time in place; a row whose bucket
 *    changes, or news of a check not shown on a first page (`data-first-page="yes"` on its
 *    region), reloads the region. Counts: `[data-count="BUCKET"] b` are adjusted from each
 *    check's `was` and `bucket`.
 *
 * Events (each `data` is JSON with `target`): `check` {id, bucket, was, state, state_type,
 * attempt, text, last_check}, `incident` {id, change: opened|updated|closed|timeline, ...},
 * `ban` {change: added|removed, address, ...}, `delivery` {id, kind, text}. The page's
 * `document.body.dataset.live` is set to "on" once the stream is open (tests wait for it).
 */
(function () {
  'use strict';
  if (!window.EventSource || !document.body) return;
  var zone = document.body.dataset.zone || 'UTC';
  var lang = document.body.dataset.lang === 'ja' ? 'ja-JP' : 'en-GB';
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(lang, { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  } catch (e) {
    fmt = null;
  }
  function time(iso) {
    if (!iso || !fmt) return '—';
    var p = {};
    fmt.formatToParts(new Date(iso)).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + ' ' + (p.timeZoneName || zone);
  }

  var dirty = new Set();
  var timer = null;
  var last = 0;
  function refresh(region) {
    dirty.add(region.getAttribute('data-live'));
    if (timer) return;
    var wait = Math.max(0, last + 2000 - Date.now());
    timer = setTimeout(load, wait);
  }
  function load() {
    timer = null;
    last = Date.now();
    var names = Array.from(dirty);
    dirty.clear();
    fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        names.forEach(function (n) {
          var sel = '[data-live="' + CSS.escape(n) + '"]';
          var here = document.querySelector(sel);
          var there = doc.querySelector(sel);
          if (here && there) here.replaceChildren.apply(here, Array.from(there.childNodes).map(function (x) { return document.importNode(x, true); }));
        });
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
      })
      .catch(function () {});
  }

  function regionsFor(type, d) {
    return Array.from(document.querySelectorAll('[data-live]')).filter(function (el) {
      var on = (el.getAttribute('data-live-on') || 'incident ban delivery').split(/\s+/);
      if (on.indexOf(type) < 0) return false;
      var t = el.getAttribute('data-live-target');
      if (t && d.target !== t) return false;
      var c = el.getAttribute('data-live-check');
      if (c && (type !== 'check' || d.id !== c)) return false;
      var i = el.getAttribute('data-live-incident');
      if (i && ((type !== 'incident' && type !== 'delivery') || String(d.id) !== i)) return false;
      return true;
    });
  }

  function onCheck(d) {
    if (d.was !== d.bucket) {
      var from = document.querySelector('[data-count="' + d.was + '"] b');
      var to = document.querySelector('[data-count="' + d.bucket + '"] b');
      if (from) from.textContent = String(Math.max(0, Number(from.textContent) - 1));
      if (to) to.textContent = String(Number(to.textContent) + 1);
    }
    var row = document.querySelector('tr[data-check="' + CSS.escape(d.id) + '"]');
    if (row) {
      var text = row.querySelector('[data-field="text"]');
      var at = row.querySelector('[data-field="last_check"]');
      if (text) text.textContent = d.text;
      if (at) at.textContent = time(d.last_check);
      if (row.getAttribute('data-bucket') !== d.bucket) {
        var region = row.closest('[data-live]');
        if (region) refresh(region);
      }
    } else {
      var first = document.querySelector('[data-first-page="yes"]');
      if (first && d.was !== d.bucket) refresh(first);
    }
    regionsFor('check', d).forEach(function (r) { if (!r.querySelector('tr[data-check]') || r.hasAttribute('data-live-check')) refresh(r); });
  }

  var source = new EventSource('/api/v1/events');
  source.addEventListener('hello', function () { document.body.dataset.live = 'on'; });
  source.addEventListener('error', function () { document.body.dataset.live = 'off'; });
  source.addEventListener('check', function (e) { onCheck(JSON.parse(e.data)); });
  ['incident', 'ban', 'delivery'].forEach(function (type) {
    source.addEventListener(type, function (e) {
      var d = JSON.parse(e.data);
      regionsFor(type, d).forEach(refresh);
    });
  });
  window.addEventListener('pagehide', function () { source.close(); });
})();
