// The grid of a report, once (reports/grid.py says what it draws): the cells
// as the page's data names them (decoded in Python: names, anchors and repro
// commands are base.Cell's), each grid drawn as a table, a cell's evidence
// shown as tables beside it. Used by matrix.html, the site's index and its
// behaviour pages; text goes in with textContent only.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("matrix-data").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var make = function (tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined && text !== null) { element.textContent = text; }
    return element;
  };

  // evidence names the texts it shares with other cells (capture code, warnings) by index
  function text(value) { return typeof value === "number" ? data.texts[value] : value; }

  // data.cells holds a list per field, one entry per cell of the page
  function outcomeOf(index) { return data.cells.outcome[index]; }
  var behaviourOf = {};
  data.behaviours.forEach(function (b) { behaviourOf[b.id] = b; });

  // the grids as reports/grid.py compacts them: a behaviour row's description
  // and tags are data.behaviours' (null), its cells a run or runs of indexes
  function expandCells(cells) {
    var out = [], k;
    if (cells && !Array.isArray(cells) && cells.n !== undefined) {
      for (k = 0; k < cells.n; k++) { out.push(cells.s + k * cells.d); }
      return out;
    }
    if (cells && !Array.isArray(cells) && cells.c) {
      return cells.c.map(function (run) {
        var found = [];
        for (k = 0; k < run[1]; k++) { found.push(run[0] + k); }
        return found;
      });
    }
    return cells;
  }
  data.grids.forEach(function (spec) {
    spec.groups.forEach(function (group) {
      group[1] = group[1].map(function (row) {
        var declared = behaviourOf[row[0]];
        return [row[0], row[1] === null && declared ? declared.description : row[1], row[2],
                row[3] === null ? (declared ? declared.tags : []) : row[3], expandCells(row[4])];
      });
    });
  });

  function fieldsOf(index) {
    var cells = data.cells, cell = data.names[cells.cell[index]];
    var env = data.environments[cells.environment[index]] || {};
    var behaviour = behaviourOf[cell.behaviour] || {description: ""};
    return {id: cell.behaviour, name: cell.name, description: behaviour.description, exporter: cell.exporter,
            device: cell.device, shapes: cell.shapes, outcome: cells.outcome[index],
            torch: env.torch, python: env.python, release: env.label, environment: env.id,
            evidence: data.evidence[cells.evidence[index]], reproducer: cells.reproducer[index],
            duration: cells.duration ? cells.duration[index] : null,
            anchor: cells.anchor ? cells.anchor[index] : null, build: env.build,
            repro: cell.repro.split(data.environmentSlot).join(env.id)};
  }

  // the matrix keeps each reproducer's blocks once; its first block may be a
  // template of the cell's own fields ({id}, {outcome}, ...), formatted here
  function reproducerText(index) {
    var fields = fieldsOf(index);
    if (fields.reproducer === null || fields.reproducer === undefined) { return ""; }
    var entry = data.reproducers[fields.reproducer];
    var blocks = entry.blocks.map(function (i) { return data.texts[i]; });
    if (entry.header !== null) {
      blocks.unshift(data.texts[entry.header].replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(fields, name) ? String(fields[name]) : whole;
      }));
    }
    return blocks.join(data.separator);
  }

  // one grid: columns are environments, rows come in titled groups; a cell
  // is an index of data.cells, null (not observed) or a list (a summary)
  function drawGrid(spec) {
    var table = make("table", "grid"), head = table.createTHead().insertRow();
    head.appendChild(make("th", "corner"));
    spec.columns.forEach(function (env) {
      var th = make("th", "release");
      th.title = env[0];
      if (env[2]) {
        var link = make("a", null, env[1]);
        link.href = env[2];
        th.appendChild(link);
      } else { th.textContent = env[1]; }
      head.appendChild(th);
    });
    var body = table.createTBody();
    spec.groups.forEach(function (group) {
      var header = body.insertRow(), title = make("th", "group", group[0]);
      header.className = "group-row";
      title.colSpan = spec.columns.length + 1;
      header.appendChild(title);
      group[1].forEach(function (row) {
        var tr = body.insertRow(), th = make("th", "behaviour");
        tr.className = "behaviour-row";
        tr.dataset.tags = row[3].join(" ");
        th.title = row[1] ? row[0] + ": " + row[1] : row[0];
        if (row[2]) {
          var link = make("a", null, row[0]);
          link.href = row[2];
          th.appendChild(link);
        } else { th.textContent = row[0]; }
        tr.appendChild(th);
        row[4].forEach(function (cell, n) {
          var td = tr.insertCell();
          if (cell === null || (Array.isArray(cell) && cell.length === 0)) {
            td.className = "o-missing";
            td.textContent = data.notObserved;
            return;
          }
          if (Array.isArray(cell)) {  // a summary: the worst outcome of its cells, and how many do not hold
            var outcomes = cell.map(outcomeOf);
            var worst = data.worstFirst.find(function (o) { return outcomes.indexOf(o) >= 0; }) || outcomes[0];
            var bad = outcomes.filter(function (o) { return o !== "holds"; }).length;
            td.className = "cell summary o-" + worst;
            td.dataset.cells = cell.join(" ");
            td.dataset.outcome = worst;
            td.textContent = (data.symbols[worst] || data.notObserved) + (bad > 1 ? bad : "");
            td.title = spec.columns[n][1] + ": " + outcomes.length + " paths, " + bad + " not holding";
            return;
          }
          var outcome = outcomeOf(cell);
          td.className = "cell o-" + outcome;
          td.dataset.index = cell;
          td.dataset.outcome = outcome;
          td.textContent = data.symbols[outcome] || data.notObserved;
          td.title = spec.columns[n][1] + ": " + outcome;
          if (spec.exporter === null && data.cells.anchor) { td.id = data.cells.anchor[cell]; }
        });
      });
    });
    return table;
  }

  function row(table, values, header) {
    var tr = (header ? table.tHead || table.createTHead() : table.tBodies[0] || table.createTBody()).insertRow();
    values.forEach(function (value) { tr.appendChild(make(header ? "th" : "td", null, value)); });
  }

  function shown(value) {
    return value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  }

  function addField(list, name, value) {
    if (value === undefined || value === null || value === "" ||
        (Array.isArray(value) && value.length === 0)) { return; }
    list.appendChild(make("dt", null, name));
    var detail = make("dd"), pre = make("pre");
    pre.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
    detail.appendChild(pre);
    list.appendChild(detail);
  }

  // sentences, one a line (a kind of difference each): a list, not JSON
  function addLines(list, name, lines) {
    if (!lines || lines.length === 0) { return; }
    list.appendChild(make("dt", null, name));
    var detail = make("dd"), items = make("ul");
    lines.forEach(function (line) { items.appendChild(make("li", null, line)); });
    detail.appendChild(items);
    list.appendChild(detail);
  }

  function select(element) {
    document.querySelectorAll("td.selected").forEach(function (td) { td.classList.remove("selected"); });
    if (element && element.tagName === "TD") { element.classList.add("selected"); }
    byId("evidence-empty").hidden = true;
    byId("evidence-body").hidden = false;
  }

  // one cell's evidence: what went wrong as tables, its upstream links, its reproducer (the short one first)
  function show(index, element) {
    var about = fieldsOf(index), ev = about.evidence;
    select(element);
    byId("ev-paths").hidden = true;
    byId("ev-cell").hidden = false;
    byId("ev-title").textContent = about.name;
    byId("ev-outcome").textContent = about.outcome + " in " + about.release + " (" + about.environment + ")";
    byId("ev-outcome").className = "o-" + about.outcome;
    var behaviour = behaviourOf[about.id] || {}, permalink = byId("ev-permalink");
    permalink.hidden = !(behaviour.href && about.anchor);
    if (!permalink.hidden) { permalink.href = behaviour.href + "#" + about.anchor; }

    var error = byId("ev-error");
    error.textContent = "";
    error.hidden = !ev.error;
    if (ev.error) {
      row(error, ["phase", ev.phase || ""], false);
      row(error, ["error", ev.error.type || ""], false);
      row(error, ["message", ev.error.message || ""], false);
    }
    // a big model's differences read by kind first (every kind, none cut), then one by one below
    var summary = byId("ev-summary");
    summary.textContent = "";
    addLines(summary, "differences by kind", (ev.difference_groups || []).map(function (g) { return g.summary; }));
    addLines(summary, "within numerics (judged against a float64 run)", (ev.numerics || []).map(function (g) { return g.summary; }));
    addField(summary, "no float64 reference", ev.float64_reference);
    addField(summary, "switched on for the comparison", ev.switches);
    var differences = byId("ev-differences");
    differences.tBodies[0].textContent = "";
    var found = Array.isArray(ev.differences) ? ev.differences : [];
    differences.hidden = found.length === 0;
    found.forEach(function (d) {
      var arose = d.arose || (d.after_call ? "call " + d.after_call : "");
      row(differences, [d.what, shown(d.after_call), arose, shown(d.eager), shown(d.exported), shown(d.where)], false);
    });

    var links = byId("ev-links");
    links.textContent = "";
    (data.cellLinks[String(index)] || []).forEach(function (n) {
      var link = data.links[n], item = make("li"), anchor = make("a", null, link[0]);
      anchor.href = link[1];
      item.appendChild(anchor);
      item.appendChild(document.createTextNode(" (" + link[2] + "): " + link[3]));
      links.appendChild(item);
    });
    byId("ev-links-title").hidden = links.childNodes.length === 0;

    var fields = byId("ev-fields");
    fields.textContent = "";
    addField(fields, "reason", ev.reason);
    addField(fields, "changed by capture", ev.changed_by_capture);
    addField(fields, "left registered by the failed capture (removed before the next cell)", ev.left_by_capture);
    addField(fields, "warnings", (ev.warnings || []).map(text));
    addField(fields, "graph signature mutations", ev.signature_mutations);
    addField(fields, "read back from the artifact after each call", ev.read_back);
    addField(fields, "not observable (kept inside the artifact)", ev.not_observable);
    addField(fields, "dynamic shapes", ev.dynamic);
    addField(fields, "exit", ev.exit);
    addField(fields, "duration (s)", about.duration === null || about.duration === undefined ? null : String(about.duration));
    addField(fields, "capture code", text(ev.exporter_detail));

    var full = reproducerText(index) || "(no reproducer: nothing was captured)";
    var short = data.shorts[String(index)];
    byId("ev-reproducer-kind").textContent = short ? "Short reproducer" : "Reproducer";
    // where the page does not carry its short one, the command that prints it
    var command = about.repro;
    byId("ev-short-command").hidden = Boolean(short) || about.reproducer === null || about.reproducer === undefined;
    byId("ev-short-command").textContent = "Its short reproducer (at most 40 lines, only torch): " + command;
    byId("ev-reproducer").textContent = short || full;
    byId("ev-full").hidden = !short;
    byId("ev-full-reproducer").textContent = short ? full : "";
    byId("copy-status").textContent = "";
  }

  // a summary cell: each path's outcome in that release, each opening its cell
  function showSummary(indexes, element) {
    select(element);
    byId("ev-cell").hidden = true;
    var first = fieldsOf(indexes[0]), list = byId("ev-paths");
    byId("ev-title").textContent = first.id + " / all paths / " + first.device;
    byId("ev-outcome").textContent = "in " + first.release + " (" + first.environment + ")";
    byId("ev-outcome").className = "";
    byId("ev-permalink").hidden = true;
    list.hidden = false;
    list.textContent = "";
    var table = make("table", "evidence");
    row(table, ["capture path", "outcome"], true);
    indexes.forEach(function (i) {
      var about = fieldsOf(i), tr = (table.tBodies[0] || table.createTBody()).insertRow();
      var name = tr.insertCell(), outcome = tr.insertCell(), link = make("a", "path-cell", about.exporter);
      link.href = "#";
      link.dataset.index = i;
      name.appendChild(link);
      outcome.textContent = data.symbols[about.outcome] + " " + about.outcome;
      outcome.className = "o-" + about.outcome;
    });
    list.appendChild(table);
  }
  byId("ev-paths").addEventListener("click", function (event) {
    var link = event.target.closest("a.path-cell");
    if (link) { event.preventDefault(); show(Number(link.dataset.index), link); }
  });

  byId("copy-reproducer").addEventListener("click", function () {
    var value = byId("ev-reproducer").textContent;
    var done = function () { byId("copy-status").textContent = "copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, function () { byId("copy-status").textContent = "copy refused"; });
    } else {
      var area = document.createElement("textarea");
      area.value = value;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { byId("copy-status").textContent = "copy refused"; }
      document.body.removeChild(area);
    }
  });

  var blocks = byId("grid-blocks");
  blocks.addEventListener("click", function (event) {
    var td = event.target.closest("td.cell");
    if (!td) { return; }
    if (td.dataset.cells) { showSummary(td.dataset.cells.split(" ").map(Number), td); }
    else { show(Number(td.dataset.index), td); }
  });

  var controls = byId("grid-controls");
  var openCell;
  if (!controls) {
    // a behaviour page: every grid at once, each cell with its permalink's anchor
    data.grids.forEach(function (spec) {
      var block = make("div", "grid-block");
      block.appendChild(make("h3", null, spec.title));
      block.appendChild(drawGrid(spec));
      blocks.appendChild(block);
    });
    openCell = function (index) {
      var td = blocks.querySelector('td.cell[data-index="' + index + '"]');
      show(index, td);
      if (td) { td.scrollIntoView({block: "nearest"}); }
    };
    var fromHash = function () {
      var td = location.hash.length > 1 ? byId(decodeURIComponent(location.hash.slice(1))) : null;
      if (td && td.dataset.index !== undefined) { openCell(Number(td.dataset.index)); }
    };
    window.addEventListener("hashchange", fromHash);
    fromHash();
  } else {
    // the matrix: one grid at a time, a capture path chosen by its tab, device, shapes and build by their selects
    var state = {exporter: data.grids[0].exporter, device: data.grids[0].device,
                 shapes: data.grids[0].shapes, build: data.grids[0].build};
    var current = null;
    var chosen = function (name) { return byId("filter-" + name) ? byId("filter-" + name).value : state[name]; };
    var drawCurrent = function () {
      ["device", "shapes", "build"].forEach(function (name) { state[name] = chosen(name); });
      current = data.grids.find(function (g) {
        return g.exporter === state.exporter && g.device === state.device && g.shapes === state.shapes &&
          g.build === state.build;
      }) || null;
      blocks.textContent = "";
      document.querySelectorAll(".path-tab").forEach(function (tab) {
        tab.setAttribute("aria-selected", String(tab.dataset.exporter === state.exporter));
      });
      var block = make("div", "grid-block");
      if (current) {
        block.dataset.exporter = current.exporter;
        block.dataset.device = current.device;
        block.dataset.shapes = current.shapes;
        block.dataset.build = current.build;
        var title = make("h2", null, current.title + " ");
        title.appendChild(make("small", null, "(build " + current.build + ")"));
        block.appendChild(title);
        block.appendChild(drawGrid(current));
      } else {
        block.appendChild(make("p", null, "Nothing observed for this capture path, device, shapes and build."));
      }
      blocks.appendChild(block);
      applyFilters();
    };
    var applyFilters = function () {
      var tag = byId("filter-tag").value, outcome = byId("filter-outcome").value;
      var pair = byId("filter-pair") ? byId("filter-pair").value : "";
      var changed = pair === "" ? null : new Set(data.pairs[Number(pair)]);
      blocks.querySelectorAll("tr.behaviour-row").forEach(function (tr) {
        tr.hidden = tag !== "" && tr.dataset.tags.split(" ").indexOf(tag) < 0;
      });
      blocks.querySelectorAll("tr.group-row").forEach(function (tr) {
        var next = tr.nextElementSibling, any = false;
        while (next && next.classList.contains("behaviour-row")) { any = any || !next.hidden; next = next.nextElementSibling; }
        tr.hidden = !any;
      });
      var visible = 0;
      blocks.querySelectorAll("td.cell").forEach(function (td) {
        var indexes = td.dataset.cells ? td.dataset.cells.split(" ").map(Number) : [Number(td.dataset.index)];
        var hide = (outcome !== "" && td.dataset.outcome !== outcome) ||
          (changed !== null && !indexes.some(function (i) { return changed.has(i); }));
        td.classList.toggle("hidden-by-filter", hide);
        if (!hide && !td.closest("tr").hidden) { visible += 1; }
      });
      byId("visible-count").textContent = visible + " cells shown";
      byId("visible-count").dataset.count = String(visible);
    };
    controls.addEventListener("click", function (event) {
      var tab = event.target.closest(".path-tab");
      if (tab) { state.exporter = tab.dataset.exporter; drawCurrent(); }
    });
    ["filter-device", "filter-shapes", "filter-build"].forEach(function (id) {
      if (byId(id)) { byId(id).addEventListener("change", drawCurrent); }
    });
    ["filter-tag", "filter-pair", "filter-outcome"].forEach(function (id) {
      if (byId(id)) { byId(id).addEventListener("change", applyFilters); }
    });
    // a link to a cell (a story's representative, a release note's sides) shows it in its grid
    openCell = function (index) {
      var about = fieldsOf(index);
      var spec = data.grids.find(function (g) {
        return g.exporter === about.exporter && g.device === about.device && g.shapes === about.shapes &&
          g.build === about.build;
      });
      if (spec) {
        state.exporter = spec.exporter;
        ["device", "shapes", "build"].forEach(function (name) {
          if (byId("filter-" + name)) { byId("filter-" + name).value = spec[name]; }
        });
        drawCurrent();
      }
      if (views.length && location.hash !== "#matrix") { location.hash = "matrix"; }
      showView("matrix");
      var td = blocks.querySelector('td.cell[data-index="' + index + '"]');
      show(index, td);
      if (td) { td.scrollIntoView({block: "center"}); }
    };
    drawCurrent();
  }

  // the page's views (matrix, stories, release notes, ...): one shown at a time, named by the address's #
  var views = document.querySelectorAll("section.view");
  function showView(name) {
    if (!views.length) { return; }
    var found = false;
    views.forEach(function (view) { found = found || view.id === name; });
    name = found ? name : "matrix";
    views.forEach(function (view) { view.hidden = view.id !== name; });
    document.querySelectorAll("nav.views a").forEach(function (link) {
      link.classList.toggle("current", link.getAttribute("href") === "#" + name);
    });
  }
  if (views.length) {
    window.addEventListener("hashchange", function () { showView(location.hash.slice(1)); });
    showView(location.hash.slice(1));
  }
  document.querySelectorAll("a.cell-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openCell(Number(link.dataset.index));
    });
  });
  window.exportmatrixReady = performance.now();  // usable from here: the page tests report it
}());
