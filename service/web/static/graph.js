// The graph view: draws the neighbourhood (positions computed by the server) as SVG, with pan and zoom.
// Clicking a node (or Enter on it) opens that node's neighbourhood. Written for KomInn; no libraries.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  var dataEl = document.getElementById("graph-data");
  if (!box || !dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var linksEl = document.getElementById("graph-links");
  var links = linksEl ? JSON.parse(linksEl.textContent) : {};  // how each node is linked to the centre, in words
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

  var drawn = [];  // each node as drawn: {n, g, label, x, y, r}, for placing the labels below
  var lastPointer = "mouse";  // what the last press on the picture came from: "mouse", "pen" or "touch"
  svg.addEventListener("pointerdown", function (ev) { lastPointer = ev.pointerType || "mouse"; }, true);
  data.nodes.forEach(function (n) {
    // a screen reader hears the name, the kind and the link to the centre ("Helse og omsorg (Organisasjon: ...)");
    // the centre is the page itself, not a link
    var kind = box.getAttribute("data-kind-" + n.label.toLowerCase()) || n.label;
    var said = n.title + " (" + kind + (links[n.id] ? ": " + links[n.id] : "") + ")";
    var g = svgEl("g", n.id === data.center
      ? { "class": "node center", role: "img", "aria-label": said, "data-id": n.id }
      : { "class": "node", tabindex: "0", role: "link", "aria-label": said, "data-id": n.id });
    var r = n.id === data.center ? 14 : (n.depth === 1 ? 10 : 7);
    g.appendChild(svgEl("circle", { cx: px(n), cy: py(n), r: r, "class": "n-" + n.label }));
    drawn.push({ n: n, g: g, x: px(n), y: py(n), r: r });
    var label = svgEl("text", { x: px(n) + r + 4, y: py(n) + 4, "data-full": n.title });
    if (n.lang) label.setAttribute("lang", n.lang);  // a Norwegian title on an English page, or the reverse
    label.textContent = n.title.length > 40 ? n.title.slice(0, 38) + "…" : n.title;
    g.appendChild(label);
    drawn[drawn.length - 1].label = label;
    var tip = svgEl("title", {});
    tip.textContent = n.title;
    g.appendChild(tip);
    function go() { window.location.href = "/web/graph/" + encodeURIComponent(n.id) + "?depth=" + depth; }
    g.addEventListener("click", function (ev) {
      ev.stopPropagation();
      if (moved) return;
      // a touch has no hover: the first tap on a node whose label is hidden shows the label, the second opens it
      if (lastPointer === "touch" && label.getAttribute("class") === "crowded" && !g.classList.contains("revealed")) {
        svg.querySelectorAll(".node.revealed").forEach(function (other) { other.classList.remove("revealed"); });
        g.classList.add("revealed");
        return;
      }
      go();
    });
    g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
    g.addEventListener("focus", function () { show(n); });
    view.appendChild(g);
  });
  box.appendChild(svg);

  // On a narrow screen the picture shrinks with its viewBox, and 12px labels with it (to about 4px on a phone):
  // labels grow back to a readable size there, shortened so that they overlap less. Labels should not cover each
  // other or other nodes. Each is tried right of its node, then left, below and above, then shortened. The centre
  // always shows its label; a direct neighbour shows it where it covers no other label (it may cover a node: its
  // white outline keeps it readable); a farther node only where it covers nothing. A label without such a place
  // is shown on hover or focus, or on a touch screen when its node is tapped once (the name stays in the node's
  // tooltip and aria-label, and the list under the picture names every neighbour). All of it is done again when
  // the picture changes width (a phone turned on its side, a window made narrower).
  function hits(a, b) { return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2; }
  function rank(d) { return d.n.id === data.center ? -1 : d.n.depth; }
  var laidOutFor = 0;
  function layOutLabels() {
    var width = svg.getBoundingClientRect().width;
    if (!width || width === laidOutFor) return;
    laidOutFor = width;
    var shrink = W / width;
    var grow = shrink > 1.5 ? Math.min(shrink, 2.6) : 1;
    drawn.forEach(function (d) {
      var full = d.label.getAttribute("data-full");
      var most = grow > 1 ? 24 : 40;
      d.label.style.fontSize = grow > 1 ? (12 * grow) + "px" : "";
      d.label.textContent = full.length > most ? full.slice(0, most - 2) + "…" : full;
      d.label.removeAttribute("class");
      d.g.classList.remove("revealed");
    });
    var placed = [];
    function collisions(box, g) {  // labels covered (a label on a label is unreadable: it counts ten), other
      if (box.x1 < 0 || box.y1 < 0 || box.x2 > W || box.y2 > H) return 1000;  // nodes, and outside the picture
      return 10 * placed.filter(function (p) { return hits(p, box); }).length +
             drawn.filter(function (d) {
               return d.g !== g && hits({ x1: d.x - d.r, y1: d.y - d.r, x2: d.x + d.r, y2: d.y + d.r }, box);
             }).length;
    }
    drawn.slice().sort(function (a, b) { return rank(a) - rank(b); }).forEach(function (d) {
      var n = d.n, g = d.g, label = d.label, x = d.x, y = d.y, r = d.r;
      var size = parseFloat(getComputedStyle(label).fontSize) || 12;
      var tries = [[x + r + 4, y + size / 3, "start"], [x - r - 4, y + size / 3, "end"],
                   [x, y + r + size, "middle"], [x, y - r - 4, "middle"]];
      var full = label.textContent;
      var texts = full.length > 16 ? [full, full.slice(0, 14) + "…"] : [full];  // then shortened, if crowded
      var best = null;
      for (var t = 0; t < texts.length && !(best && best.count === 0); t++) {
        label.textContent = texts[t];
        for (var i = 0; i < tries.length; i++) {
          label.setAttribute("x", tries[i][0]);
          label.setAttribute("y", tries[i][1]);
          label.setAttribute("text-anchor", tries[i][2]);
          var b = label.getBBox();
          var box = { x1: b.x - 1, y1: b.y - 1, x2: b.x + b.width + 1, y2: b.y + b.height + 1 };
          var count = collisions(box, g);
          if (!best || count < best.count) best = { count: count, at: tries[i], box: box, text: texts[t] };
          if (count === 0) break;
        }
      }
      label.textContent = best.text;
      label.setAttribute("x", best.at[0]);
      label.setAttribute("y", best.at[1]);
      label.setAttribute("text-anchor", best.at[2]);
      if (n.id !== data.center && (n.depth > 1 ? best.count > 0 : best.count >= 10)) {  // see above
        label.setAttribute("class", "crowded");
        return;
      }
      placed.push(best.box);
    });
  }
  layOutLabels();
  var relayout = null;
  window.addEventListener("resize", function () { clearTimeout(relayout); relayout = setTimeout(layOutLabels, 150); });

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
  function show(n) {  // a node that gets the keyboard focus outside the visible part is brought to the middle
    var x = px(n) * scale + tx, y = py(n) * scale + ty;
    if (x < PAD || x > W - PAD || y < PAD || y > H - PAD) {
      tx = W / 2 - px(n) * scale; ty = H / 2 - py(n) * scale; apply();
    }
  }
  svg.addEventListener("keydown", function (ev) {  // arrows move the picture, + and - zoom
    var step = 60, moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[ev.key]) { tx += moves[ev.key][0]; ty += moves[ev.key][1]; apply(); ev.preventDefault(); }
    else if (ev.key === "+" || ev.key === "=") { zoom(1.25); ev.preventDefault(); }
    else if (ev.key === "-" || ev.key === "−") { zoom(0.8); ev.preventDefault(); }
  });
  svg.addEventListener("wheel", function (ev) {  // with Ctrl (or Cmd) only: a plain wheel scrolls the page
    if (!ev.ctrlKey && !ev.metaKey) return;
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
