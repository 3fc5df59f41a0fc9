// The graph view: draws the neighbourhood (positions computed by the server) as SVG, with pan and zoom.
// Clicking a node (or Enter on it) opens that node's neighbourhood. Written for KomInn; no libraries.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  var dataEl = document.getElementById("graph-data");
  if (!box || !dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var W = 1000, H = 700, PAD = 50, LABEL = 220;  // room on the right for the labels
  var depth = box.dataset.depth || "1";

  function svgEl(tag, attrs) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    return n;
  }
  function px(n) { return PAD + n.x * (W - 2 * PAD - LABEL); }
  function py(n) { return PAD + n.y * (H - 2 * PAD); }

  var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "group", "aria-label": document.title });
  var view = svgEl("g", {});
  svg.appendChild(view);
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });

  data.edges.forEach(function (e) {
    var a = byId[e.source], b = byId[e.target];
    if (!a || !b) return;
    var line = svgEl("line", { x1: px(a), y1: py(a), x2: px(b), y2: py(b), "class": "edge e-" + e.rel });
    var tip = svgEl("title", {});
    tip.textContent = a.title + " – " + (e.label || e.rel) + " – " + b.title;
    line.appendChild(tip);
    view.appendChild(line);
  });

  data.nodes.forEach(function (n) {
    var g = svgEl("g", { "class": "node" + (n.id === data.center ? " center" : ""), tabindex: "0", role: "link",
                         "aria-label": n.title, "data-id": n.id });
    var r = n.id === data.center ? 14 : (n.depth === 1 ? 10 : 7);
    g.appendChild(svgEl("circle", { cx: px(n), cy: py(n), r: r, "class": "n-" + n.label }));
    var label = svgEl("text", { x: px(n) + r + 4, y: py(n) + 4 });
    label.textContent = n.title.length > 40 ? n.title.slice(0, 38) + "…" : n.title;
    g.appendChild(label);
    var tip = svgEl("title", {});
    tip.textContent = n.title;
    g.appendChild(tip);
    function go() { window.location.href = "/web/graph/" + encodeURIComponent(n.id) + "?depth=" + depth; }
    g.addEventListener("click", function (ev) { if (!moved) go(); ev.stopPropagation(); });
    g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
    view.appendChild(g);
  });
  box.appendChild(svg);

  // On a narrow screen the picture shrinks with its viewBox, and 12px labels with it (to about 4px on a phone):
  // labels grow back to a readable size there, shortened so that they overlap less.
  var shrink = W / Math.max(svg.getBoundingClientRect().width, 1);
  if (shrink > 1.5) {
    var grow = Math.min(shrink, 2.6);
    svg.querySelectorAll(".node text").forEach(function (label) {
      label.style.fontSize = (12 * grow) + "px";
      var full = label.parentNode.getAttribute("aria-label") || label.textContent;
      label.textContent = full.length > 24 ? full.slice(0, 22) + "…" : full;
    });
  }

  var scale = 1, tx = 0, ty = 0, dragging = false, moved = false, sx = 0, sy = 0;
  function apply() { view.setAttribute("transform", "translate(" + tx + " " + ty + ") scale(" + scale + ")"); }
  function zoom(f, cx, cy) {
    cx = cx === undefined ? W / 2 : cx; cy = cy === undefined ? H / 2 : cy;
    var ns = Math.min(6, Math.max(0.3, scale * f));
    tx = cx - (cx - tx) * ns / scale; ty = cy - (cy - ty) * ns / scale; scale = ns; apply();
  }
  function toSvg(ev) {
    var rect = svg.getBoundingClientRect();
    var k = Math.max(W / rect.width, H / rect.height);
    return [(ev.clientX - rect.left) * k - (rect.width * k - W) / 2, (ev.clientY - rect.top) * k - (rect.height * k - H) / 2, k];
  }
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = toSvg(ev);
    zoom(ev.deltaY < 0 ? 1.15 : 1 / 1.15, p[0], p[1]);
  }, { passive: false });
  svg.addEventListener("pointerdown", function (ev) { dragging = true; moved = false; sx = ev.clientX; sy = ev.clientY; });
  window.addEventListener("pointermove", function (ev) {
    if (!dragging) return;
    var k = toSvg(ev)[2];
    var dx = (ev.clientX - sx) * k, dy = (ev.clientY - sy) * k;
    if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
    tx += dx; ty += dy; sx = ev.clientX; sy = ev.clientY; apply();
  });
  window.addEventListener("pointerup", function () { dragging = false; setTimeout(function () { moved = false; }, 0); });
  document.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (b.dataset.zoom === "reset") { scale = 1; tx = 0; ty = 0; apply(); } else { zoom(parseFloat(b.dataset.zoom)); }
    });
  });
})();
