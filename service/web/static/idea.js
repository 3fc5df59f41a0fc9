// The live duplicate check of the idea form: while the person types, ask POST /ideas/check (debounced)
// and show similar existing ideas and initiatives, and apart from them related work that already exists.
// Written for KomInn; no libraries.
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

  // whether an item's title is in another language than the page's (its lang, from POST /ideas/check)
  function foreign(item) {
    return Boolean(item.lang) && item.lang.split("-")[0] !== page;
  }

  function statusWord(item) {
    if (!item.status) return "";
    var key = "status" + item.status.charAt(0).toUpperCase() + item.status.slice(1);
    return d[key] || item.status;
  }

  // one suggestion as a card: its title (a link) in a heading of the given level, score, kind, status and owner,
  // the matching terms, and for finished work its recorded results
  function card(item, level) {
    var li = el("li", "card");
    var head = el("div", "card-head");
    var h = el(level);
    // each title's language comes with it (its words, or the data's configured language): said where it is not
    // the page's, so that a screen reader reads a Norwegian title on the English page with a Norwegian voice
    var other = foreign(item);
    if (other) h.lang = item.lang;
    var a = el("a", null, item.title);
    a.href = (item.label === "Initiative" ? "/web/initiatives/" : "/web/ideas/") + encodeURIComponent(item.id);
    h.appendChild(a);
    head.appendChild(h);
    var score = item.score.toFixed(2);
    if (page === "nb") score = score.replace(".", ",");
    head.appendChild(el("span", "score", d.score + " " + score));
    li.appendChild(head);
    var meta = el("p", "meta");
    meta.appendChild(el("span", "badge", item.label === "Idea" ? d.labelIdea : d.labelInitiative));
    if (item.status) meta.appendChild(el("span", "badge status-" + item.status, statusWord(item)));
    if (item.owner) meta.appendChild(el("span", null, d.owner + ": " + item.owner.name));
    li.appendChild(meta);
    var terms = [];
    var results = "";
    item.reasons.forEach(function (r) {
      if (r.kind === "text") r.items.forEach(function (i) { if (i.term) terms.push(i.term); });
      if (r.kind === "results") r.items.forEach(function (i) { if (i.results) results = i.results; });
    });
    if (terms.length || results) {
      var ul = el("ul", "reasons");
      if (results) {
        var said = el("li", "reason reason-results", d.results + ": ");
        var words = el("span", null, results);
        if (other) words.lang = item.lang;
        said.appendChild(words);
        ul.appendChild(said);
      }
      if (terms.length) ul.appendChild(el("li", "reason", d.terms + ": " + terms.join(", ")));
      li.appendChild(ul);
    }
    return li;
  }

  // "{n} ...: {titles}" with the first three titles, each in a span of its own language where that is not the
  // page's (so that a screen reader reads "Digital postkasse" as Norwegian on the English page), and with its
  // status where asked (related work says whether it is completed or ongoing)
  function sentence(template, items, withStatus) {
    var parts = template.replace("{n}", String(items.length)).split("{titles}");
    var line = [document.createTextNode(parts[0])];
    items.slice(0, 3).forEach(function (item, i) {
      if (i) line.push(document.createTextNode("; "));
      var span = el("span", null, item.title);
      if (foreign(item)) span.lang = item.lang;
      line.push(span);
      if (withStatus && item.status) line.push(document.createTextNode(" (" + statusWord(item) + ")"));
    });
    if (parts.length > 1) line.push(document.createTextNode(parts.slice(1).join("")));
    return line;
  }

  // the possible duplicates, then apart under a heading of its own the related work that already exists (not
  // claimed to be the same idea)
  function show(items, related) {
    related = related || [];
    if (!items.length && !related.length) { message(d.empty); return; }
    var blocks = [];
    if (items.length) {
      var list = el("ol", "cards");
      list.id = "live-results";
      items.forEach(function (item) { list.appendChild(card(item, "h3")); });
      blocks.push(list);
    }
    if (related.length) {
      var box = el("div", "related");
      box.id = "live-related";
      var h = el("h3", null, d.related);
      h.id = "live-related-h";
      box.appendChild(h);
      var hint = el("p", "hint", d.relatedHint);
      box.appendChild(hint);
      var more = el("ol", "cards");
      more.id = "live-related-results";
      more.setAttribute("aria-labelledby", "live-related-h");
      related.forEach(function (item) { more.appendChild(card(item, "h4")); });
      box.appendChild(more);
      blocks.push(box);
    }
    live.replaceChildren.apply(live, blocks);
    var ids = items.map(function (item) { return item.id; }).join("\n") + "|" +
      related.map(function (item) { return item.id; }).join("\n");
    if (shown === ids) return;
    shown = ids;
    var line = items.length ? sentence(d.found, items, false) : [document.createTextNode(d.emptyRelated)];
    if (related.length) {
      line.push(document.createTextNode(items.length ? ". " : " "));
      line = line.concat(sentence(d.relatedFound, related, true));
      line.push(document.createTextNode("."));
    }
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
      .then(function (data) { if (data && mine === asked) show(data.data, data.related); })
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
