/* brand-audit report: the touchpoints table (filters, search, sort, paged rows, details built
 * on demand), links from the overview and charts into it, print, download.
 * Every string from the report is untrusted copy: it is written with textContent or as an
 * attribute value, never as markup. Everything outside the table works without this script. */
(function () {
  "use strict";

  var PAGE = 50;
  var STATUS_RANK = { diverges: 0, warn: 1, ok: 2 };
  var SEV_RANK = { error: 0, warning: 1, info: 2 };
  var ICON = { ok: "\u2713", warn: "!", diverges: "\u2715", none: "?",
               error: "\u2715", warning: "!", info: "i" };

  var report = JSON.parse(document.getElementById("report-data").textContent);
  var M = JSON.parse(document.getElementById("report-i18n").textContent);
  var context = report.context || {};
  var targets = context.tone_targets || {};
  var newSet = {};
  ((report.comparison || {}).new || []).forEach(function (f) { newSet[f] = true; });

  var all = (report.touchpoints || []).map(function (tp, i) {
    var findings = (tp.findings || []).slice().sort(function (a, b) {
      return (SEV_RANK[a.severity] === undefined ? 9 : SEV_RANK[a.severity]) -
        (SEV_RANK[b.severity] === undefined ? 9 : SEV_RANK[b.severity]);
    });
    var rules = {};
    findings.forEach(function (f) { rules[f.rule] = true; });
    return { tp: tp, i: i, findings: findings, rules: rules,
             status: STATUS_RANK[tp.status] === undefined ? "" : tp.status,
             score: typeof tp.score === "number" ? tp.score : null, hay: null };
  });
  var byId = {};
  all.forEach(function (row) { byId[row.tp.id] = row; });

  var $ = function (id) { return document.getElementById(id); };
  var form = $("tp-filters"), body = $("tp-body"), count = $("f-count"), more = $("tp-more");
  var empty = $("tp-empty"), search = $("f-search");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var headers = Array.prototype.slice.call(document.querySelectorAll("#tp-table th[data-sort]"));
  var sortKey = "status", sortDir = 1, shown = [], rendered = 0, searchTimer = null;

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) {
      return values && values[k] !== undefined ? String(values[k]) : m;
    });
  }
  function plural(forms, n) {
    if (typeof forms === "string") { return fmt(forms, { n: n }); }
    var i;
    if (M.lang === "ru") {
      i = n % 10 === 1 && n % 100 !== 11 ? 0 :
        (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2);
    } else { i = n === 1 ? 0 : 1; }
    return fmt(forms[Math.min(i, forms.length - 1)], { n: num(n) });
  }
  function num(n) {
    var s = String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, M.lang === "ru" ? "\u202f" : ",");
    return s;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function channelLabel(c) { return M["channel_" + c] || c; }
  function scoreText(s) { return typeof s === "number" ? String(Math.round(s)) : "\u2014"; }
  function clock(ms) {
    var s = Math.floor((ms || 0) / 1000);
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }
  function safeHref(url) {
    return /^https?:\/\/[^\s/]/i.test(String(url || "")) ? String(url) : null;
  }
  function badge(kind, key, label) {
    var b = el("span", "badge " + kind + "-" + key);
    var icon = el("span", "badge-icon", ICON[key] || "?");
    icon.setAttribute("aria-hidden", "true");
    b.appendChild(icon);
    b.appendChild(document.createTextNode(label));
    return b;
  }
  function statusBadge(status) {
    return badge("status", status || "none", M["status_" + (status || "none")]);
  }
  function where(locator) {
    if (!locator) { return ""; }
    var parts = [];
    if (locator.line != null) {
      parts.push(fmt(M.line, { line: locator.line }));
      if (locator.column != null) { parts.push(fmt(M.column, { column: locator.column })); }
    }
    if (locator.start_ms != null) {
      parts.push(fmt(M.at, { time: clock(locator.start_ms) +
        (locator.end_ms != null ? "\u2013" + clock(locator.end_ms) : "") }));
    }
    if (locator.css) { parts.push(locator.css); }
    return parts.join(", ");
  }

  // Filtering, search and sort ------------------------------------------------------------

  // A site's navigation and footer is named in the report's language (see html._title).
  function titleOf(tp) { return /#site-wide$/.test(tp.id || "") ? M.site_wide : tp.title; }

  function haystack(row) {
    if (row.hay === null) {
      var tp = row.tp, parts = [titleOf(tp), tp.title, tp.source, tp.agent_id, tp.id];
      (tp.blocks || []).forEach(function (b) { parts.push(b.text); });
      row.findings.forEach(function (f) { parts.push(f.rule, f.message, f.evidence, f.suggestion); });
      row.hay = parts.filter(Boolean).join("\n").toLowerCase();
    }
    return row.hay;
  }

  function current() {
    var f = {};
    selects.forEach(function (s) { f[s.getAttribute("data-filter")] = s.value; });
    return f;
  }

  var sorters = {
    status: function (a, b) { return (STATUS_RANK[a.status] === undefined ? -1 : STATUS_RANK[a.status]) -
      (STATUS_RANK[b.status] === undefined ? -1 : STATUS_RANK[b.status]) || byScore(a, b); },
    score: function (a, b) { return byScore(a, b); },
    channel: function (a, b) { return cmp(channelLabel(a.tp.channel), channelLabel(b.tp.channel)); },
    title: function (a, b) { return cmp(titleOf(a.tp) || "", titleOf(b.tp) || ""); },
    findings: function (a, b) { return a.findings.length - b.findings.length; },
    language: function (a, b) { return cmp(a.tp.language || "", b.tp.language || ""); },
    agent: function (a, b) { return cmp(a.tp.agent_id || "", b.tp.agent_id || ""); }
  };
  function cmp(a, b) { return a.localeCompare(b, M.lang); }
  function byScore(a, b) {
    // A missing score sorts as the worst: an error never counts as a pass.
    return (a.score === null ? -1 : a.score) - (b.score === null ? -1 : b.score);
  }

  function apply() {
    var f = current();
    var words = search ? search.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    shown = all.filter(function (row) {
      var tp = row.tp;
      if (f.channel && tp.channel !== f.channel) { return false; }
      if (f.status && row.status !== f.status) { return false; }
      if (f.rule && !row.rules[f.rule]) { return false; }
      if (f.agent && tp.agent_id !== f.agent) { return false; }
      if (f.language && (tp.language || "") !== f.language) { return false; }
      if (words.length) {
        var hay = haystack(row);
        for (var k = 0; k < words.length; k++) { if (hay.indexOf(words[k]) === -1) { return false; } }
      }
      return true;
    });
    var sorter = sorters[sortKey];
    shown.sort(function (a, b) { return sortDir * sorter(a, b) || a.i - b.i; });
    body.textContent = "";
    rendered = 0;
    renderMore();
  }

  function renderMore() {
    var frag = document.createDocumentFragment();
    var end = Math.min(rendered + PAGE, shown.length);
    for (var k = rendered; k < end; k++) { frag.appendChild(rowFor(shown[k])); }
    body.appendChild(frag);
    rendered = end;
    var total = all.length;
    count.textContent = (shown.length === total ? fmt(M.showing_all, { total: num(total) })
      : fmt(M.showing, { shown: num(shown.length), total: num(total) })) +
      (rendered < shown.length ? " \u00b7 " + fmt(M.rendered, { rendered: num(rendered) }) : "");
    empty.hidden = shown.length !== 0;
    empty.textContent = M.none_match;
    var left = shown.length - rendered;
    more.hidden = left <= 0;
    more.textContent = fmt(M.show_more, { n: num(Math.min(left, PAGE)) });
  }

  function rowFor(row) {
    var tp = row.tp;
    var tr = el("tr", "tp-row status-row-" + (row.status || "none"));
    tr.setAttribute("data-id", tp.id);
    tr.setAttribute("data-status", row.status);
    tr.setAttribute("data-channel", tp.channel || "");
    var c1 = el("td"); c1.appendChild(statusBadge(row.status)); tr.appendChild(c1);
    var c2 = el("td", "num"); c2.appendChild(el("span", "score-num status-text-" + (row.status || "none"), scoreText(row.score)));
    tr.appendChild(c2);
    tr.appendChild(el("td", "", channelLabel(tp.channel)));
    var th = el("th", "tp-title");
    th.setAttribute("scope", "row");
    var toggle = el("button", "tp-toggle");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("title", M.open);
    toggle.appendChild(el("span", "chev", "\u25b8")).setAttribute("aria-hidden", "true");
    toggle.appendChild(el("span", "", titleOf(tp) || M.untitled));
    th.appendChild(toggle);
    var src = el("span", "tp-src", sourceLabel(tp.source));
    th.appendChild(src);
    tr.appendChild(th);
    var c5 = el("td", "num");
    if (row.findings.length) {
      var worst = row.findings[0];
      c5.appendChild(el("span", "sev-count sev-text-" + worst.severity,
        (ICON[worst.severity] || "") + " " + row.findings.length));
      c5.setAttribute("title", worst.rule + ": " + (worst.message || ""));
    } else { c5.textContent = "0"; }
    tr.appendChild(c5);
    tr.appendChild(el("td", "", "")).appendChild(el("span", "lang", (tp.language || "").toUpperCase()));
    var agent = tr.appendChild(el("td", "", tp.agent_id || ""));
    if (tp.agent_id) { agent.setAttribute("data-label", M.col_agent); }  // named on a card
    toggle.addEventListener("click", function () { toggleRow(tr, row); });
    return tr;
  }

  function sourceLabel(source) {
    var s = String(source || "");
    return safeHref(s) ? s.replace(/^https?:\/\/(www\.)?/i, "").replace(/\/$/, "") : s;
  }

  function toggleRow(tr, row, force) {
    var open = tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains("tp-detail");
    var want = force === undefined ? !open : force;
    var toggle = tr.querySelector(".tp-toggle");
    if (want && !open) {
      var detail = el("tr", "tp-detail status-row-" + (row.status || "none"));
      var td = el("td");
      td.colSpan = 7;
      td.appendChild(details(row));
      detail.appendChild(td);
      tr.parentNode.insertBefore(detail, tr.nextSibling);
    } else if (!want && open) {
      tr.parentNode.removeChild(tr.nextSibling);
    }
    toggle.setAttribute("aria-expanded", want ? "true" : "false");
    toggle.setAttribute("title", want ? M.close : M.open);
  }

  // A touchpoint's details: its copy with the flagged passages marked, notes, exemplars ----

  function details(row) {
    var tp = row.tp, box = el("div", "tp-details");
    box.appendChild(sourceLine(tp));
    var meta = tp.metadata || {};
    if (meta.role_guess === "true") {
      // No configured label named the agent: the collector guessed who is who; say so.
      box.appendChild(el("p", "fine role-guess", fmt(M.roles_guessed, { note: meta.role_note || "" })));
    }
    var blocks = tp.blocks || [];
    var placed = {}, loose = [];
    row.findings.forEach(function (f, n) {
      f._n = n + 1;
      var b = typeof f.block === "number" ? f.block : (blocks.length === 1 ? 0 : -1);
      var text = b >= 0 && blocks[b] ? blocks[b].text : null;
      if (text !== null && f.span && f.span.length === 2 && f.span[0] >= 0 &&
          f.span[1] <= text.length && f.span[0] < f.span[1]) {
        (placed[b] = placed[b] || []).push(f);
      } else { loose.push(f); }
    });
    var compare = el("div", "compare");
    var said = el("figure", "said");
    said.appendChild(el("figcaption", "", M.copy_title));
    if (blocks.length) {
      said.appendChild(copyView(tp, blocks, placed));
    } else if (row.findings.length) {
      row.findings.forEach(function (f) { if (f.evidence) { said.appendChild(quote(f.evidence, tp.language)); } });
    }
    compare.appendChild(said);
    var seen = {}, exemplars = [];
    row.findings.forEach(function (f) {
      if (f.exemplar && !seen[f.exemplar.source + "\n" + f.exemplar.text]) {
        seen[f.exemplar.source + "\n" + f.exemplar.text] = true;
        exemplars.push(f.exemplar);
      }
    });
    if (row.findings.length) {
      var ex = el("figure", "exemplar");
      ex.appendChild(el("figcaption", "", "\u2713 " + M.exemplar_title));
      exemplars.slice(0, 3).forEach(function (e) {
        ex.appendChild(quote(e.text, null));
        var from = el("p", "fine", fmt(M.exemplar_from, { source: e.source }));
        if (typeof e.similarity === "number") {
          from.textContent += " \u00b7 " + fmt(M.similar, { percent: Math.round(e.similarity * 100) + "%" });
        }
        ex.appendChild(from);
      });
      if (!exemplars.length) { ex.appendChild(el("p", "fine", M.no_exemplar)); }
      compare.appendChild(ex);
      compare.classList.add("has-exemplar");
    }
    box.appendChild(compare);
    if (row.findings.length) {
      box.appendChild(el("h4", "notes-title", M.notes_title));
      var list = el("ol", "notes");
      row.findings.forEach(function (f) { list.appendChild(note(f, tp, loose.indexOf(f) !== -1)); });
      box.appendChild(list);
    } else {
      box.appendChild(el("p", "no-findings", row.status === "ok" ? "\u2713 " + M.no_findings : M.no_specific));
    }
    var facts = [];
    // The raw similarity is on the scoring model's own scale; the score says it for people.
    var tone = toneText(tp.tone);
    if (tone) { facts.push(fmt(M.tone_off, { text: tone })); }
    if (facts.length) { box.appendChild(el("p", "fine facts", facts.join(" \u00b7 "))); }
    return box;
  }

  function toneText(tone) {
    if (!tone) { return ""; }
    var out = [];
    Object.keys(tone).forEach(function (d) {
      var t = targets[d], v = tone[d];
      if (!t || typeof t.target !== "number" || typeof v !== "number") { return; }
      var tol = typeof t.tolerance === "number" ? t.tolerance : 0;
      var words = M["more_" + d];
      if (!words) { return; }
      if (v < t.target - tol) { out.push(words[0] + " (" + (M["dim_" + d] || d) + " " + v.toFixed(2) + ")"); }
      if (v > t.target + tol) { out.push(words[1] + " (" + (M["dim_" + d] || d) + " " + v.toFixed(2) + ")"); }
    });
    return out.join(", ");
  }

  function sourceLine(tp) {
    var p = el("p", "source-line");
    var href = safeHref(tp.source);
    var loc = tp.locator || {};
    var meta = tp.metadata || {};
    if (href) {
      var a = el("a", "", M.source_link + " \u2197");
      a.href = href; a.rel = "noopener noreferrer"; a.target = "_blank";
      p.appendChild(a);
      p.appendChild(el("span", "path", " " + sourceLabel(tp.source)));
    } else if (meta.call_id || loc.start_ms != null) {
      p.appendChild(el("span", "", fmt(M.call, { id: meta.call_id || "" }).trim() + " \u00b7 "));
      p.appendChild(el("span", "path", tp.source || ""));
    } else {
      p.appendChild(el("span", "", fmt(M.source_file, { path: "" }).trim() + " "));
      p.appendChild(el("span", "path", (tp.source || "") + (loc.line != null ? ":" + loc.line : "")));
    }
    var permalink = safeHref(meta.permalink);
    if (permalink && permalink !== href) {
      var pl = el("a", "", " \u2197");
      pl.href = permalink; pl.rel = "noopener noreferrer"; pl.target = "_blank";
      pl.setAttribute("aria-label", M.source_link);
      p.appendChild(pl);
    }
    ["author", "date", "platform", "agent_id"].forEach(function (k) {
      if (meta[k]) { p.appendChild(el("span", "chip", meta[k])); }
    });
    return p;
  }

  function quote(text, lang) {
    var q = el("blockquote");
    if (lang) { q.lang = lang; }
    q.appendChild(el("p", "", text));
    return q;
  }

  function copyView(tp, blocks, placed) {
    var wrap = el("div", "copy");
    if (tp.language) { wrap.lang = tp.language; }
    var flagged = Object.keys(placed).map(Number);
    // Long copy: show the flagged blocks with one block of context either side, the rest on demand.
    var keep = null;
    if (blocks.length > 8 && flagged.length) {
      keep = {};
      flagged.forEach(function (b) { keep[b - 1] = keep[b] = keep[b + 1] = true; });
    }
    var hidden = 0;
    var rest = [];
    blocks.forEach(function (b, k) {
      var node = blockView(b, k, placed[k] || []);
      if (keep && !keep[k]) { node.hidden = true; rest.push(node); hidden += 1; }
      wrap.appendChild(node);
    });
    if (hidden) {
      var btn = el("button", "show-all", M.show_all_copy + " (" + fmt(M.more_blocks, { n: hidden }) + ")");
      btn.type = "button";
      btn.addEventListener("click", function () {
        rest.forEach(function (n) { n.hidden = false; });
        btn.remove();
      });
      wrap.appendChild(btn);
    }
    return wrap;
  }

  function blockView(block, index, findings) {
    var item = el("div", "block" + (block.scored === false ? " context" : ""));
    item.setAttribute("data-block", String(index));
    var label = [];
    if (block.speaker) { label.push(block.speaker); }
    var w = block.locator && block.locator.start_ms != null ? clock(block.locator.start_ms) :
      (block.locator && block.locator.line != null ? fmt(M.line, { line: block.locator.line }) : "");
    if (w) { label.push(w); }
    if (block.scored === false) { label.push(M.customer_context); }
    if (label.length) { item.appendChild(el("span", "block-label", label.join(" \u00b7 "))); }
    var p = el("p", "block-text");
    var text = String(block.text || "");
    if (!findings.length) {
      p.textContent = text;
    } else {
      // Cut the text at every span edge; each piece is marked by the findings covering it, and a
      // finding's number follows the end of its span.
      var edges = [0, text.length];
      findings.forEach(function (f) { edges.push(f.span[0], f.span[1]); });
      edges = edges.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
      for (var k = 0; k < edges.length - 1; k++) {
        var a = edges[k], b = edges[k + 1];
        var covering = findings.filter(function (f) { return f.span[0] <= a && f.span[1] >= b; });
        var piece = text.slice(a, b);
        if (!covering.length) { p.appendChild(document.createTextNode(piece)); continue; }
        var worst = covering.slice().sort(function (x, y) { return SEV_RANK[x.severity] - SEV_RANK[y.severity]; })[0];
        var mark = el("mark", "hl sev-" + worst.severity, piece);
        mark.setAttribute("data-rule", covering.map(function (f) { return f.rule; }).join(" "));
        mark.title = covering.map(function (f) { return f._n + ". " + f.rule + ": " + (f.message || ""); }).join("\n");
        p.appendChild(mark);
        findings.forEach(function (f) {
          if (f.span[1] === b) {
            var ref = el("a", "note-ref", String(f._n));
            ref.href = "#note-" + f._n;
            ref.setAttribute("aria-label", M.notes_title + " " + f._n);
            ref.addEventListener("click", function (ev) {
              ev.preventDefault();
              var target = item.closest(".tp-details").querySelector('[data-note="' + f._n + '"]');
              if (target) { target.scrollIntoView({ block: "nearest" }); target.focus(); }
            });
            p.appendChild(ref);
          }
        });
      }
    }
    item.appendChild(p);
    return item;
  }

  function note(f, tp, loose) {
    var li = el("li", "note sev-border-" + f.severity);
    li.setAttribute("data-note", String(f._n));
    li.tabIndex = -1;
    var head = el("div", "note-head");
    head.appendChild(el("span", "note-num", String(f._n)));
    head.appendChild(badge("sev", f.severity, M["sev_" + f.severity] || f.severity));
    head.appendChild(el("code", "rule", f.rule));
    if (newSet[f.fingerprint]) { head.appendChild(el("span", "tag-new", M.new)); }
    li.appendChild(head);
    li.appendChild(el("p", "note-why", f.message || ""));
    if (loose && f.evidence) {
      li.appendChild(el("p", "fine", M.whole));
      li.appendChild(quote(f.evidence, tp.language));
    }
    if (f.suggestion) {
      var s = el("p", "suggestion");
      s.appendChild(el("strong", "", M.suggestion + " "));
      s.appendChild(document.createTextNode(f.suggestion));
      li.appendChild(s);
    }
    var w = where(f.locator);
    if (w) { li.appendChild(el("p", "fine", M.where + " " + w)); }
    return li;
  }

  // Wiring -------------------------------------------------------------------------------

  function setSort(key) {
    if (sortKey === key) { sortDir = -sortDir; } else { sortKey = key; sortDir = 1; }
    headers.forEach(function (h) {
      h.setAttribute("aria-sort", h.getAttribute("data-sort") === sortKey
        ? (sortDir === 1 ? "ascending" : "descending") : "none");
    });
    apply();
  }

  function openTouchpoint(id) {
    var row = byId[id];
    if (!row) { return; }
    if (shown.indexOf(row) === -1) { form.reset(); apply(); }
    var pos = shown.indexOf(row);
    while (rendered <= pos) { renderMore(); }
    var tr = body.querySelector('tr[data-id="' + cssEscape(id) + '"]');
    if (!tr) { return; }
    toggleRow(tr, row, true);
    tr.scrollIntoView({ block: "start" });
    tr.querySelector(".tp-toggle").focus({ preventScroll: true });
  }

  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&"); }

  function setFilter(key, value) {
    form.reset();
    selects.forEach(function (s) { if (s.getAttribute("data-filter") === key) { s.value = value; } });
    apply();
  }

  function downloadReport() {
    var blob = new Blob([JSON.stringify(report, null, 2) + "\n"], { type: "application/json" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "report.json";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(apply, 120);
  });
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { clearTimeout(searchTimer); apply(); }
  });
  headers.forEach(function (h) {
    h.querySelector("button").addEventListener("click", function () { setSort(h.getAttribute("data-sort")); });
  });
  more.addEventListener("click", renderMore);
  $("download-json").addEventListener("click", downloadReport);
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-open],[data-filter-status],[data-filter-agent]") : null;
    if (!link) { return; }
    if (link.hasAttribute("data-open")) {
      event.preventDefault();
      openTouchpoint(link.getAttribute("data-open"));
    } else if (link.hasAttribute("data-filter-status")) {
      setFilter("status", link.getAttribute("data-filter-status"));
    } else {
      setFilter("agent", link.getAttribute("data-filter-agent"));
    }
  });
  // SVG links on the brand map are reached with Tab; Enter follows them like any link.
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.key === "Enter" && t && t.getAttribute && t.getAttribute("data-open") && t.namespaceURI === "http://www.w3.org/2000/svg") {
      event.preventDefault();
      openTouchpoint(t.getAttribute("data-open"));
    }
  });

  // Printing: the rows on screen print with their details open.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = [];
    Array.prototype.forEach.call(body.querySelectorAll("tr.tp-row"), function (tr) {
      var row = byId[tr.getAttribute("data-id")];
      if (row && row.status !== "ok" && !(tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains("tp-detail"))) {
        toggleRow(tr, row, true);
        openedForPrint.push([tr, row]);
      }
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (p) { toggleRow(p[0], p[1], false); });
    openedForPrint = [];
  });

  apply();
  var hash = "";
  try { hash = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { hash = ""; }
  if (hash.indexOf("tp=") === 0) { openTouchpoint(hash.slice(3)); }
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-ready", "true");
})();
