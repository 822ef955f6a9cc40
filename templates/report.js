/* mlaudit report: filtering, sorting, search and paging over the embedded findings.
   The page is complete without this script; it only replaces the server-rendered first page of
   the findings table. Repository text is only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var dataNode = document.getElementById("mlaudit-data");
  var table = document.getElementById("findings-table");
  if (!dataNode || !table) { return; }
  var D;
  try { D = JSON.parse(dataNode.textContent); } catch (err) { return; }
  var F = D.findings || [];
  var SEV = 0, CAT = 1, RULE = 2, PATH = 3, LINE = 4, CELL = 5, MSG = 6, OWNERS = 7, AGE = 8, AUTHOR = 9,
    FP = 10, SYMBOL = 11, EX_START = 12, EX_LINES = 13, END_LINE = 14, EVIDENCE = 15, FIX = 16;
  var UNOWNED = "(no owner)";
  var form = document.getElementById("filters");
  var tbody = table.tBodies[0];
  var statusNode = document.getElementById("status");
  var pager = document.getElementById("pager");
  var pageInfo = document.getElementById("page-info");
  var pageSize = document.getElementById("page-size");
  var headers = table.tHead.rows[0].cells;
  var FIELDS = ["q", "severity", "category", "rule", "owner", "path"];
  var state = { q: "", severity: "", category: "", rule: "", owner: "", path: "",
    sort: "severity", dir: "desc", page: 0, size: D.pageSize || 100 };
  var matches = [];
  var haystack = null;
  var fmt = function (n) { return Number(n).toLocaleString("en"); };

  var columnLabels = Array.prototype.map.call(document.querySelectorAll("#findings-table thead th"),
                                              function (th) { return th.textContent.trim(); });

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function locationText(f) {
    var path = D.paths[f[PATH]] || "(project)";
    if (f[CELL] !== null && f[CELL] !== undefined) {
      return path + " (cell " + f[CELL] + ", line " + (f[LINE] === null ? "?" : f[LINE]) + ")";
    }
    return f[LINE] === null || f[LINE] === undefined ? path : path + ":" + f[LINE];
  }

  function sourceUrl(f) {
    var path = D.paths[f[PATH]];
    if (!D.url || !path) { return null; }
    var template = D.url;
    if (f[LINE] === null || f[LINE] === undefined || (f[CELL] !== null && f[CELL] !== undefined) || /\.ipynb$/.test(path)) {
      template = template.replace(/#[^#]*\{line\}[^#]*$/, "");
    }
    var encoded = path.split("/").map(encodeURIComponent).join("/");
    return template.split("{path}").join(encoded).split("{line}").join(f[LINE] === null ? "" : String(f[LINE]));
  }

  function ownersOf(f) {
    return f[OWNERS].length ? f[OWNERS].map(function (i) { return D.owners[i]; }) : [];
  }

  function buildHaystack() {
    haystack = new Array(F.length);
    for (var i = 0; i < F.length; i++) {
      var f = F[i], rule = D.ruleIds[f[RULE]], info = D.rules[rule] || {};
      haystack[i] = (f[MSG] + "\n" + (D.paths[f[PATH]] || "") + "\n" + rule + "\n" + (info.name || "") + "\n" +
        (f[SYMBOL] || "") + "\n" + ownersOf(f).join(" ")).toLowerCase();
    }
  }

  /* --- filters ------------------------------------------------------------------------------- */
  function addOptions(select, entries) {
    entries.forEach(function (entry) {
      var option = el("option", null, entry[1]);
      option.value = entry[0];
      select.appendChild(option);
    });
  }

  function counted(keyOf) {
    var counts = {};
    F.forEach(function (f) {
      keyOf(f).forEach(function (k) { counts[k] = (counts[k] || 0) + 1; });
    });
    return counts;
  }

  function setUpFilters() {
    var sev = counted(function (f) { return [D.severities[f[SEV]]]; });
    addOptions(form.elements.severity, D.severities.filter(function (s) { return sev[s]; })
      .map(function (s) { return [s, s + " (" + fmt(sev[s]) + ")"]; }));
    var cat = counted(function (f) { return [D.categories[f[CAT]]]; });
    addOptions(form.elements.category, D.categories.filter(function (c) { return cat[c]; })
      .map(function (c) { return [c, c + " (" + fmt(cat[c]) + ")"]; }));
    var rules = counted(function (f) { return [D.ruleIds[f[RULE]]]; });
    addOptions(form.elements.rule, Object.keys(rules).sort().map(function (r) {
      return [r, r + " " + ((D.rules[r] || {}).name || "") + " (" + fmt(rules[r]) + ")"];
    }));
    var owners = counted(function (f) { var o = ownersOf(f); return o.length ? o : [UNOWNED]; });
    addOptions(form.elements.owner, Object.keys(owners).sort().map(function (o) {
      return [o, o + " (" + fmt(owners[o]) + ")"];
    }));
    form.hidden = false;
    pager.hidden = false;
  }

  function readHash() {
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.indexOf("=") < 0) { return false; }
    var params = new URLSearchParams(hash);
    FIELDS.forEach(function (k) { state[k] = params.get(k) || ""; });
    if (params.get("sort")) { state.sort = params.get("sort"); }
    if (params.get("dir") === "asc" || params.get("dir") === "desc") { state.dir = params.get("dir"); }
    state.page = Math.max(0, (parseInt(params.get("page"), 10) || 1) - 1);
    return true;
  }

  function writeHash() {
    var params = new URLSearchParams();
    FIELDS.forEach(function (k) { if (state[k]) { params.set(k, state[k]); } });
    if (state.sort !== "severity" || state.dir !== "desc") { params.set("sort", state.sort); params.set("dir", state.dir); }
    if (state.page) { params.set("page", String(state.page + 1)); }
    var text = params.toString();
    var target = text ? "#" + text : window.location.pathname + window.location.search;
    try { history.replaceState(null, "", target); } catch (err) { /* file: URLs in some browsers */ }
  }

  function syncForm() {
    FIELDS.forEach(function (k) {
      var input = form.elements[k];
      if (input.tagName === "SELECT" && state[k] && !Array.prototype.some.call(input.options, function (o) { return o.value === state[k]; })) {
        addOptions(input, [[state[k], state[k]]]);
      }
      input.value = state[k];
    });
  }

  function filter() {
    var q = state.q.trim().toLowerCase(), sev = D.severities.indexOf(state.severity),
      cat = D.categories.indexOf(state.category), rule = D.ruleIds.indexOf(state.rule),
      path = state.path.trim().toLowerCase(), owner = -1, unowned = state.owner === UNOWNED;
    if (state.owner && !unowned) { owner = D.owners.indexOf(state.owner); }
    if (q && !haystack) { buildHaystack(); }
    var terms = q ? q.split(/\s+/) : [];
    var out = [];
    for (var i = 0; i < F.length; i++) {
      var f = F[i];
      if (state.severity && f[SEV] !== sev) { continue; }
      if (state.category && f[CAT] !== cat) { continue; }
      if (state.rule && f[RULE] !== rule) { continue; }
      if (unowned && f[OWNERS].length) { continue; }
      if (state.owner && !unowned && f[OWNERS].indexOf(owner) < 0) { continue; }
      if (path && (D.paths[f[PATH]] || "").toLowerCase().indexOf(path) < 0) { continue; }
      if (terms.length) {
        var text = haystack[i], ok = true;
        for (var t = 0; t < terms.length; t++) { if (text.indexOf(terms[t]) < 0) { ok = false; break; } }
        if (!ok) { continue; }
      }
      out.push(i);
    }
    return out;
  }

  function sortKey(i) {
    var f = F[i];
    switch (state.sort) {
      case "rule": return D.ruleIds[f[RULE]];
      case "location": return (D.paths[f[PATH]] || "") + "\u0000" + String(1e7 + (f[CELL] || 0)) + String(1e7 + (f[LINE] || 0));
      case "owner": return ownersOf(f).join(" ") || "\uffff";
      case "age": return f[AGE] === null ? null : f[AGE];
      default: return f[SEV];
    }
  }

  function sortMatches() {
    var dir = state.dir === "asc" ? 1 : -1;
    if (state.sort === "severity") {
      /* The embedded order is already worst first, then rule and place. */
      if (state.dir === "asc") { matches.reverse(); }
      return;
    }
    var keys = {};
    matches.forEach(function (i) { keys[i] = sortKey(i); });
    matches.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      if (x === y) { return a - b; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return (x < y ? -1 : 1) * dir;
    });
  }

  /* --- rendering ----------------------------------------------------------------------------- */
  function fillDetail(detail, f) {
    var rule = D.ruleIds[f[RULE]], info = D.rules[rule] || {};
    if (f[EX_LINES]) {
      var pre = el("pre", "excerpt");
      pre.setAttribute("aria-label", "Code excerpt");
      var last = f[END_LINE] || f[LINE];
      f[EX_LINES].forEach(function (text, k) {
        var n = f[EX_START] + k;
        var line = el("span", "ln" + (f[LINE] !== null && n >= f[LINE] && n <= last ? " hit" : ""));
        line.appendChild(el("span", "no", n));
        line.appendChild(document.createTextNode(text + "\n"));
        pre.appendChild(line);
      });
      detail.appendChild(pre);
    }
    if (info.rationale) {
      var why = el("p");
      why.appendChild(el("strong", null, rule + " " + info.name + "."));
      why.appendChild(document.createTextNode(" " + info.rationale));
      detail.appendChild(why);
    }
    if (info.remediation) {
      var fix = el("p");
      fix.appendChild(el("strong", null, "Fix:"));
      fix.appendChild(document.createTextNode(" " + info.remediation));
      detail.appendChild(fix);
    }
    var facts = el("dl", "facts");
    var add = function (term, value, code) {
      facts.appendChild(el("dt", null, term));
      var dd = el("dd");
      dd.appendChild(code ? el("code", null, value) : document.createTextNode(String(value)));
      facts.appendChild(dd);
    };
    if (f[SYMBOL]) { add("Symbol", f[SYMBOL], true); }
    if (f[AUTHOR] !== null) { add("Last change by", D.authors[f[AUTHOR]]); }
    (f[EVIDENCE] || []).forEach(function (pair) { add(pair[0], pair[1]); });
    add("Confidence", info.confidence || "-");
    add("Fingerprint", f[FP], true);
    detail.appendChild(facts);
  }

  function row(i) {
    var f = F[i], rule = D.ruleIds[f[RULE]];
    var tr = el("tr");
    var sevCell = el("td");
    sevCell.appendChild(el("span", "sev sev-" + D.severities[f[SEV]], D.severities[f[SEV]]));
    tr.appendChild(sevCell);
    var ruleCell = el("td");
    var ruleLink = el("a", null, rule);
    ruleLink.href = "#rule-" + rule;
    ruleCell.appendChild(ruleLink);
    ruleCell.appendChild(el("div", "muted small", D.categories[f[CAT]]));
    if (f[FIX]) {  /* what `mlaudit fix` would do; an unsafe fix says so */
      var mark = el("div", "small fixable", f[FIX][0] === "safe" ? "fixable" : "fixable (unsafe)");
      mark.title = f[FIX][1];
      ruleCell.appendChild(mark);
    }
    tr.appendChild(ruleCell);
    var loc = el("td", "loc"), url = sourceUrl(f), holder = loc;
    if (url) {
      holder = el("a");
      holder.href = url;
      holder.rel = "noopener noreferrer";
      loc.appendChild(holder);
    }
    /* Long paths wrap after a slash rather than in the middle of a name. */
    locationText(f).split("/").forEach(function (part, k, parts) {
      holder.appendChild(document.createTextNode(part + (k < parts.length - 1 ? "/" : "")));
      if (k < parts.length - 1) { holder.appendChild(document.createElement("wbr")); }
    });
    tr.appendChild(loc);
    var msg = el("td"), details = el("details"), summary = el("summary", null, f[MSG]);
    details.appendChild(summary);
    var detail = el("div", "detail");
    details.appendChild(detail);
    details.addEventListener("toggle", function () {
      if (details.open && !detail.firstChild) { fillDetail(detail, f); }
    });
    msg.appendChild(details);
    tr.appendChild(msg);
    tr.appendChild(el("td", null, ownersOf(f).join(", ") || "none"));
    tr.appendChild(el("td", "nowrap", f[AGE] === null ? "-" : fmt(f[AGE]) + " d"));
    /* Each cell names its column, as the server-rendered rows do: the phone layout shows it. */
    Array.prototype.forEach.call(tr.children, function (cell, k) {
      if (columnLabels[k]) { cell.setAttribute("data-label", columnLabels[k]); }
    });
    return tr;
  }

  function render() {
    var pages = Math.max(1, Math.ceil(matches.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * state.size, stop = Math.min(matches.length, start + state.size);
    var fragment = document.createDocumentFragment();
    for (var k = start; k < stop; k++) { fragment.appendChild(row(matches[k])); }
    tbody.textContent = "";
    tbody.appendChild(fragment);
    statusNode.textContent = matches.length
      ? "Showing " + fmt(start + 1) + "\u2013" + fmt(stop) + " of " + fmt(matches.length) + " matching finding(s)" +
        (matches.length !== F.length ? " (" + fmt(F.length) + " in total)." : ".")
      : "No finding matches these filters (" + fmt(F.length) + " in total).";
    pageInfo.textContent = "Page " + fmt(state.page + 1) + " of " + fmt(pages);
    pager.querySelector("[data-page=prev]").disabled = state.page === 0;
    pager.querySelector("[data-page=next]").disabled = state.page >= pages - 1;
    Array.prototype.forEach.call(headers, function (th) {
      if (!th.dataset.sort) { return; }
      if (th.dataset.sort === state.sort) {
        th.setAttribute("aria-sort", state.dir === "asc" ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
  }

  function update(keepPage) {
    if (!keepPage) { state.page = 0; }
    matches = filter();
    sortMatches();
    render();
    writeHash();
  }

  /* --- wiring -------------------------------------------------------------------------------- */
  setUpFilters();
  pageSize.value = String(state.size);
  readHash();
  syncForm();
  update(true);

  var timer = null;
  form.addEventListener("input", function (event) {
    var name = event.target.name;
    if (FIELDS.indexOf(name) < 0) { return; }
    state[name] = event.target.value;
    clearTimeout(timer);
    timer = setTimeout(function () { update(false); }, name === "q" || name === "path" ? 150 : 0);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () {
    setTimeout(function () {
      FIELDS.forEach(function (k) { state[k] = ""; });
      update(false);
    }, 0);
  });
  pager.addEventListener("click", function (event) {
    var which = event.target.dataset ? event.target.dataset.page : null;
    if (!which) { return; }
    state.page += which === "next" ? 1 : -1;
    update(true);
    table.scrollIntoView({ block: "start" });
  });
  pageSize.addEventListener("change", function () {
    state.size = parseInt(pageSize.value, 10) || 100;
    update(false);
  });
  Array.prototype.forEach.call(headers, function (th) {
    if (!th.dataset.sort) { return; }
    th.tabIndex = 0;
    th.setAttribute("role", "columnheader");
    var toggle = function () {
      if (state.sort === th.dataset.sort) {
        state.dir = state.dir === "asc" ? "desc" : "asc";
      } else {
        state.sort = th.dataset.sort;
        state.dir = th.dataset.sort === "severity" || th.dataset.sort === "age" ? "desc" : "asc";
      }
      update(false);
    };
    th.addEventListener("click", toggle);
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("a.filter-link"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      FIELDS.forEach(function (k) { state[k] = ""; });
      state[link.dataset.filter] = link.dataset.value;
      syncForm();
      update(false);
      document.getElementById("findings").scrollIntoView({ block: "start" });
    });
  });
  window.addEventListener("hashchange", function () {
    if (readHash()) { syncForm(); update(true); }
  });
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && tag !== "input" && tag !== "select" && tag !== "textarea") {
      event.preventDefault();
      form.elements.q.focus();
    }
  });
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
}());
