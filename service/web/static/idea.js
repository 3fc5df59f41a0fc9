// The live duplicate check of the idea form: while the person types, ask POST /ideas/check (debounced)
// and show similar existing ideas and initiatives. Written for KomInn; no libraries.
(function () {
  "use strict";
  var form = document.getElementById("idea-form");
  var live = document.getElementById("live");
  var status = document.getElementById("live-status");  // one line, read out by screen readers when it changes
  var problems = document.getElementById("form-errors");
  if (problems) problems.focus();  // after a refused form, start where it says what to fix
  if (!form || !live || !status) return;
  var title = form.querySelector("#title");
  var text = form.querySelector("#text");
  var timer = null;
  var asked = 0;
  var d = live.dataset;
  var page = document.documentElement.lang;  // the page's language: nb or en
  var shown = "";  // what the panel shows now: a message, or the ids of the suggestions

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content) node.textContent = content;
    return node;
  }

  // Only the status line is read out by screen readers, and only when what it says changes: typing on while the
  // same suggestions stand does not make them read again. The cards are not a live region (their scores follow
  // the text as it grows).
  function message(msg) {
    if (shown === "message:" + msg) return;
    shown = "message:" + msg;
    live.replaceChildren();
    status.textContent = msg;
  }

  function show(items) {
    if (!items.length) { message(d.empty); return; }
    var ids = items.map(function (item) { return item.id; }).join("\n");
    var list = el("ol", "cards");
    list.id = "live-results";
    items.forEach(function (item) {
      var card = el("li", "card");
      var head = el("div", "card-head");
      var h = el("h3");
      // each title's language comes with it (its words, or the data's configured language): said where it is not
      // the page's, so that a screen reader reads a Norwegian title on the English page with a Norwegian voice
      if (item.lang && item.lang.split("-")[0] !== page) h.lang = item.lang;
      var a = el("a", null, item.title);
      a.href = (item.label === "Initiative" ? "/web/initiatives/" : "/web/ideas/") + encodeURIComponent(item.id);
      h.appendChild(a);
      head.appendChild(h);
      var shown = item.score.toFixed(2);
      if (page === "nb") shown = shown.replace(".", ",");
      head.appendChild(el("span", "score", d.score + " " + shown));
      card.appendChild(head);
      var meta = el("p", "meta");
      meta.appendChild(el("span", "badge", item.label === "Idea" ? d.labelIdea : d.labelInitiative));
      if (item.owner) meta.appendChild(el("span", null, d.owner + ": " + item.owner.name));
      card.appendChild(meta);
      var terms = [];
      item.reasons.forEach(function (r) {
        if (r.kind === "text") r.items.forEach(function (i) { if (i.term) terms.push(i.term); });
      });
      if (terms.length) {
        var ul = el("ul", "reasons");
        ul.appendChild(el("li", "reason", d.terms + ": " + terms.join(", ")));
        card.appendChild(ul);
      }
      list.appendChild(card);
    });
    live.replaceChildren(list);
    if (shown === ids) return;
    shown = ids;
    // the line as text, with each title in a span of its own language where that is not the page's, so that a
    // screen reader reads "Digital postkasse" as Norwegian on the English page
    var parts = d.found.replace("{n}", String(items.length)).split("{titles}");
    var line = [document.createTextNode(parts[0])];
    items.slice(0, 3).forEach(function (item, i) {
      if (i) line.push(document.createTextNode("; "));
      var span = el("span", null, item.title);
      if (item.lang && item.lang.split("-")[0] !== page) span.lang = item.lang;
      line.push(span);
    });
    if (parts.length > 1) line.push(document.createTextNode(parts.slice(1).join("")));
    status.replaceChildren.apply(status, line);
  }

  function check() {
    var body = { title: title.value.trim(), text: text.value.trim(), k: 5 };
    if ((body.title + " " + body.text).trim().length < 12 || !body.text) { message(d.wait); return; }
    var mine = ++asked;
    fetch("/ideas/check", {
      method: "POST",
      headers: { "content-type": "application/json", "accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === asked) show(data.data); })
      .catch(function () { /* offline or server busy: the receipt shows the same check */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }
  title.addEventListener("input", later);
  text.addEventListener("input", later);
  if (text.value) later();
})();
