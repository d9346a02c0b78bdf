#include "observe/status_page.hpp"

namespace sgcache::observe {

// One file, no external asset (studios run sgcache offline): styles, the script and the
// charts (inline SVG) are all here. The script reads status.json every two seconds, with the
// page's own query string (which carries ?token=... when the listener needs one).
std::string_view status_page_html() noexcept {
    return R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sgcache status</title>
<style>
  :root { --fg: #1d2330; --muted: #6b7385; --line: #e3e6ee; --ok: #1f8f4e; --warn: #b7791f; --bad: #c53030; --accent: #2b6cb0; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f7fb; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #c3c8d4; }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .state { font-weight: 600; }
  .state.following { color: var(--ok); } .state.building { color: var(--accent); }
  .state.failed { color: var(--bad); } .state.waiting { color: var(--muted); }
  progress { width: 160px; height: 12px; vertical-align: middle; }
  .kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
  .kv div:nth-child(odd) { color: var(--muted); }
  svg { width: 100%; height: 120px; background: #fbfcfe; border: 1px solid var(--line); border-radius: 4px; }
  svg polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
  .axis { color: var(--muted); font-size: 12px; display: flex; justify-content: space-between; }
  ul { margin: 0; padding-left: 18px; }
  li.error { color: var(--bad); } li.warning { color: var(--warn); }
  #error { display: none; background: #fff5f5; color: var(--bad); border: 1px solid #feb2b2; padding: 8px 16px; margin: 16px 24px 0; border-radius: 6px; }
  .ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
  .muted { color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>sgcache</h1>
  <span class="meta" id="summary">loading…</span>
  <span class="meta" id="updated"></span>
</header>
<div id="error"></div>
<main>
  <section class="wide">
    <h2>Entity types</h2>
    <table id="types">
      <thead><tr><th>Type</th><th>State</th><th>Generation</th><th class="num">Live documents</th><th>Build</th><th class="num">Rate</th><th class="num">ETA</th><th>Notes</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Follower</h2>
    <div class="kv" id="follower"></div>
  </section>
  <section>
    <h2>Last validation</h2>
    <div id="validation" class="muted">none found</div>
  </section>
  <section id="lag-chart">
    <h2>Lag (s), last hour</h2>
    <svg viewBox="0 0 600 120" preserveAspectRatio="none"><polyline points=""></polyline></svg>
    <div class="axis"><span class="start">-60 min</span><span class="max"></span><span>now</span></div>
  </section>
  <section id="rate-chart">
    <h2>Events per second, last hour</h2>
    <svg viewBox="0 0 600 120" preserveAspectRatio="none"><polyline points=""></polyline></svg>
    <div class="axis"><span class="start">-60 min</span><span class="max"></span><span>now</span></div>
  </section>
  <section class="wide">
    <h2>Latest warnings and failures</h2>
    <ul id="problems"><li class="muted">none</li></ul>
  </section>
</main>
<script>
"use strict";
const query = window.location.search;
const fmt = new Intl.NumberFormat("en");
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function duration(s) {
  if (!isFinite(s) || s < 0) return "";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}
function time(ms) { return new Date(ms).toLocaleTimeString(); }
// The x axis spans the samples kept (at most the last hour, less just after a start), so
// that the first minutes already make a readable line.
function chart(id, points, index, windowS, nowMs) {
  const section = document.getElementById(id);
  const line = section.querySelector("polyline");
  let max = 0;
  for (const p of points) max = Math.max(max, p[index]);
  const top = max > 0 ? max * 1.1 : 1;
  const spanMs = points.length ? Math.min(windowS * 1000, Math.max(60000, nowMs - points[0][0])) : windowS * 1000;
  const coords = points.map(p => {
    const x = 596 * (1 - (nowMs - p[0]) / spanMs) + 2;
    const y = 114 - 108 * (p[index] / top);
    return x.toFixed(1) + "," + y.toFixed(1);
  });
  line.setAttribute("points", coords.join(" "));
  section.dataset.points = String(points.length);
  section.querySelector(".start").textContent = "-" + duration(spanMs / 1000);
  section.querySelector(".max").textContent = "max " + (index === 1 ? max.toFixed(1) + " s" : max.toFixed(1) + "/s");
}
function render(d) {
  const s = d.status;
  document.getElementById("summary").textContent =
    "v" + s.version + " · up " + duration(s.uptime_s) + " · " + (s.ready ? "ready" : "not ready");
  document.getElementById("updated").textContent = "updated " + time(Date.now());
  const body = document.querySelector("#types tbody");
  body.replaceChildren();
  for (const t of s.types) {
    const tr = el("tr", {"data-type": t.type, "data-state": t.state});
    tr.append(el("td", {}, t.type));
    tr.append(el("td", {class: "state " + t.state}, t.state + (t.build && t.build.step ? " (" + t.build.step + ")" : "")));
    tr.append(el("td", {}, t.building_generation ? t.active_generation + " → " + t.building_generation : String(t.active_generation)));
    tr.append(el("td", {class: "num"}, fmt.format(t.live_documents)));
    const build = el("td");
    const rate = el("td", {class: "num"});
    const eta = el("td", {class: "num"});
    if (t.build) {
      const bar = el("progress", {max: String(Math.max(1, t.build.total)), value: String(t.build.loaded)});
      build.append(bar, " " + fmt.format(t.build.loaded) + " / " + fmt.format(t.build.total) + " (" + t.build.percent.toFixed(0) + "%)");
      rate.textContent = fmt.format(Math.round(t.build.rate_per_s)) + "/s";
      if (t.build.rate_per_s > 0) eta.textContent = duration((t.build.total - t.build.loaded) / t.build.rate_per_s);
    }
    tr.append(build, rate, eta);
    const notes = [];
    if (t.failure) notes.push(t.failure);
    for (const w of t.warnings || []) notes.push(w);
    if (t.rejected) notes.push(fmt.format(t.rejected) + " rejected" + (t.last_rejection ? ": " + t.last_rejection : ""));
    tr.append(el("td", {}, notes.join("; ")));
    body.append(tr);
  }
  const f = s.follower;
  const kv = document.getElementById("follower");
  kv.replaceChildren();
  for (const [k, v] of [["state", f.following ? "following" : "starting"], ["last event", fmt.format(f.last_event_id)],
                        ["lag", f.lag_s.toFixed(1) + " s"], ["events/s", f.events_per_s.toFixed(1)],
                        ["open gaps", fmt.format(f.open_gaps)], ["events applied", fmt.format(f.events_applied)],
                        ["gaps given up", fmt.format(f.gaps_expired)], ["safety scans", fmt.format(f.safety_scans)]]) {
    kv.append(el("div", {}, k), el("div", {"data-key": k}, v));
  }
  const h = d.history;
  const now = Date.now();
  chart("lag-chart", h.points, 1, h.window_s, now);
  chart("rate-chart", h.points, 2, h.window_s, now);
  const list = document.getElementById("problems");
  list.replaceChildren();
  if (!h.problems.length) list.append(el("li", {class: "muted"}, "none"));
  for (const p of h.problems) list.append(el("li", {class: p.level}, time(p.at_ms) + " " + p.component + ": " + p.message));
  const v = document.getElementById("validation");
  if (h.validation) {
    v.className = "";
    v.replaceChildren(el("span", {class: h.validation.ok ? "ok" : "bad"}, h.validation.ok ? "match" : "mismatch"),
      " · " + (h.validation.command || "validate") + (h.validation.mode ? " " + h.validation.mode : "") + " at " + time(h.validation.at_ms) +
      (h.validation.failed_types && h.validation.failed_types.length ? " · failed: " + h.validation.failed_types.join(", ") : ""));
  }
}
async function refresh() {
  const banner = document.getElementById("error");
  try {
    const r = await fetch("status.json" + query, {cache: "no-store"});
    if (!r.ok) throw new Error("HTTP " + r.status + ": " + (await r.text()).trim());
    render(await r.json());
    banner.style.display = "none";
    document.body.dataset.loaded = "true";
  } catch (e) {
    banner.textContent = "sgcache does not answer: " + e.message;
    banner.style.display = "block";
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)html";
}

}  // namespace sgcache::observe
