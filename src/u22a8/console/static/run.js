// Live progress of one run: listens to the console's Server-Sent Events stream and draws
// trial scores over time as inline SVG. No libraries: the console must work offline.
(function () {
  "use strict";

  var root = document.getElementById("run");
  if (!root || !window.EventSource) { return; }

  var SVG_NS = "http://www.w3.org/2000/svg";
  var FINAL = ["succeeded", "failed", "canceled"];
  var ANNOUNCE_EVERY_MS = 5000; // screen readers get a summary now and then, not every trial

  var el = function (id) { return document.getElementById(id); };
  var plot = el("trial-plot");
  var status = el("run-status");  // what sighted readers see, always current
  var live = el("run-live");      // what screen readers hear, at a calm pace
  var trials = [];          // {number, score, elapsed, params}
  var finished = root.dataset.final === "true";
  // Only a search run in flight moves the model's state; a finished page shows it server-side.
  var tracksModel = !finished && root.dataset.kind === "search";
  var startedAt = root.dataset.started ? Date.parse(root.dataset.started) : null;
  var lastAnnounce = 0;
  var latest = {};          // the last progress values, for the announcement

  // ---- formatting ------------------------------------------------------------------------
  function fmtScore(v) { return (typeof v === "number" && isFinite(v)) ? v.toFixed(3) : "—"; }
  function fmtDuration(s) {
    if (typeof s !== "number" || !isFinite(s)) { return "—"; }
    s = Math.max(0, s);
    if (s < 10) { return s.toFixed(1) + " s"; }
    var total = Math.round(s), h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), sec = total % 60;
    if (h) { return h + " h " + String(m).padStart(2, "0") + " min"; }
    return m ? m + " min " + String(sec).padStart(2, "0") + " s" : sec + " s";
  }
  function setText(id, text) { var node = el(id); if (node) { node.textContent = text; } }

  // ---- the plot ----------------------------------------------------------------------------
  var W = 720, H = 300, M = { left: 56, right: 16, top: 14, bottom: 42 };

  function svg(name, attrs, text) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Round-ish tick values covering [lo, hi]: readers compare against 0.85, not 0.8473.
  function ticks(lo, hi, count) {
    var span = hi - lo || 1, raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (f) { return f * mag; }).find(function (s) { return s >= raw; });
    var out = [], v = Math.ceil(lo / step) * step;
    for (; v <= hi + step * 1e-9; v += step) { out.push(Number(v.toFixed(10))); }
    return out;
  }

  function draw() {
    while (plot.firstChild) { plot.removeChild(plot.firstChild); }
    var scored = trials.filter(function (t) { return typeof t.score === "number" && isFinite(t.score); });
    if (!scored.length) {
      plot.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "empty" },
        finished ? "This run reported no trials." : "Waiting for the first trial…"));
      return;
    }
    var xs = scored.map(function (t) { return t.elapsed; });
    var ys = scored.map(function (t) { return t.score; });
    var xMax = Math.max.apply(null, xs.concat([1e-6]));
    var yLo = Math.min.apply(null, ys), yHi = Math.max.apply(null, ys);
    var pad = (yHi - yLo) * 0.08 || 0.05;
    yLo -= pad; yHi += pad;
    var pw = W - M.left - M.right, ph = H - M.top - M.bottom;
    var x = function (v) { return M.left + (v / xMax) * pw; };
    var y = function (v) { return M.top + (1 - (v - yLo) / (yHi - yLo)) * ph; };

    ticks(yLo, yHi, 5).forEach(function (v) {
      plot.appendChild(svg("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), "class": "grid" }));
      plot.appendChild(svg("text", { x: M.left - 8, y: y(v) + 4, "text-anchor": "end", "class": "tick" }, String(v)));
    });
    ticks(0, xMax, 6).forEach(function (v) {
      plot.appendChild(svg("line", { x1: x(v), x2: x(v), y1: H - M.bottom, y2: H - M.bottom + 5, "class": "axis" }));
      plot.appendChild(svg("text", { x: x(v), y: H - M.bottom + 18, "text-anchor": "middle", "class": "tick" }, String(v)));
    });
    plot.appendChild(svg("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, "class": "axis" }));
    plot.appendChild(svg("line", { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, "class": "axis" }));
    plot.appendChild(svg("text", { x: M.left + pw / 2, y: H - 6, "text-anchor": "middle", "class": "axis-title" },
      "seconds since the run started"));
    plot.appendChild(svg("text", { x: 14, y: M.top + ph / 2, "text-anchor": "middle", "class": "axis-title",
      transform: "rotate(-90 14 " + (M.top + ph / 2) + ")" }, "trial score"));

    // Best so far, as a step line in time order: flat until a trial beats it, then a step up.
    var ordered = scored.slice().sort(function (a, b) { return a.elapsed - b.elapsed; });
    var bestTrial = ordered[0];
    var path = "M" + x(bestTrial.elapsed).toFixed(1) + " " + y(bestTrial.score).toFixed(1);
    ordered.slice(1).forEach(function (t) {
      if (t.score > bestTrial.score) {
        bestTrial = t;
        path += " H" + x(t.elapsed).toFixed(1) + " V" + y(t.score).toFixed(1);
      }
    });
    path += " H" + x(xMax).toFixed(1);
    plot.appendChild(svg("path", { d: path, "class": "best-line" }));

    ordered.forEach(function (t) {
      var dot = svg("circle", { cx: x(t.elapsed).toFixed(1), cy: y(t.score).toFixed(1), r: t === bestTrial ? 5.5 : 4,
        "class": t === bestTrial ? "dot dot-best" : "dot" });
      dot.appendChild(svg("title", {}, "Trial " + t.number + ": " + fmtScore(t.score) + " after " + fmtDuration(t.elapsed)));
      plot.appendChild(dot);
    });
  }

  function addTrialRow(t) {
    var body = el("trial-rows");
    if (!body) { return; }
    var tr = document.createElement("tr");
    [String(t.number), fmtScore(t.score), fmtDuration(t.elapsed), fmtDuration(t.took), t.about].forEach(function (text, i) {
      var cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) { cell.setAttribute("scope", "row"); }
      cell.className = i < 4 ? "num" : "small mono";
      cell.textContent = text;
      tr.appendChild(cell);
    });
    body.appendChild(tr);
  }

  // ---- applying events ---------------------------------------------------------------------
  function setBadge(id, prefix, state) {
    var node = el(id);
    if (!node) { return; }
    node.textContent = state;
    node.className = "badge " + prefix + state;
  }

  // One sentence about the latest progress: the phase before the trials (max: fine-tuning
  // MiniLM, which takes minutes) while it is set, else trials done and the best score.
  function progressText() {
    var text;
    if (latest.phase) {
      text = "Before the first trial: " + latest.phase;
    } else {
      var planned = latest.trials_planned ? " of " + latest.trials_planned : "";
      text = "Trial " + (latest.trials_done || 0) + planned + " done, best score " + fmtScore(latest.best_score);
    }
    if (typeof latest.eta_seconds === "number") { text += ", about " + fmtDuration(latest.eta_seconds) + " left"; }
    return text + ".";
  }

  function announce(force) {
    var now = Date.now();
    if (!force && now - lastAnnounce < ANNOUNCE_EVERY_MS) { return; }
    lastAnnounce = now;
    live.textContent = progressText();
  }

  function showStatus() { status.textContent = progressText(); }

  function showPhase(phase) {
    var fact = el("phase-fact");
    if (fact) { fact.hidden = !phase; }
    setText("phase", phase || "");
  }

  function onProgress(data) {
    latest = data;
    setText("trials-done", String(data.trials_done));
    setText("trials-planned", data.trials_planned ? String(data.trials_planned) : "?");
    setText("best-score", fmtScore(data.best_score));
    setText("eta", fmtDuration(data.eta_seconds));
    showPhase(data.phase);
    var bar = el("run-progress");
    if (bar && data.trials_planned) { bar.max = data.trials_planned; bar.value = data.trials_done; }
    if (data.trial && typeof data.trial.number === "number") {
      // trial.elapsed is how long that one trial took; the plot's x is when it finished, taken
      // from the event's own server timestamp so live and replayed runs draw the same picture.
      var at = data.at ? Date.parse(data.at) : NaN;
      var since = startedAt && isFinite(at) ? (at - startedAt) / 1000 : trials.length;
      var t = { number: data.trial.number, score: data.trial.score, elapsed: Math.max(0, since),
        took: Number(data.trial.elapsed), about: data.trial.summary || (data.trial.params ? JSON.stringify(data.trial.params) : "") };
      trials.push(t);
      addTrialRow(t);
      draw();
    }
    showStatus();
    announce(false);
  }

  function onFinal(type, data) {
    finished = true;
    var cancel = el("cancel-form");
    if (cancel) { cancel.hidden = true; }
    setBadge("run-state", "badge-run-", type);
    setText("eta", "—");
    showPhase(null);
    var bar = el("run-progress");
    if (bar && type === "succeeded") { bar.value = bar.max; }
    var outcome = el("run-outcome");
    outcome.textContent = "";
    var p = document.createElement("p");
    if (type === "succeeded" && data.version) {
      if (tracksModel) { setBadge("model-state", "badge-", "ready"); }
      p.appendChild(document.createTextNode("Made "));
      var a = document.createElement("a");
      a.href = root.dataset.versionBase + data.version;
      a.textContent = "version " + data.version;
      p.appendChild(a);
      p.appendChild(document.createTextNode(data.decision ? " (" + data.decision + ")." : "."));
    } else {
      p.className = type === "failed" ? "flash flash-error" : "";
      p.textContent = data.error || data.decision || ("The run " + type + ".");
      if (tracksModel && type !== "succeeded") { setText("model-state", "as before this run"); el("model-state").className = "badge"; }
    }
    outcome.appendChild(p);
    refreshTotals();
    status.textContent = "The run " + type + (type === "succeeded" && data.version ? ": version " + data.version + " is ready." : ".");
    live.textContent = status.textContent;
    draw();
  }

  // Totals known only once the run is over (CPU seconds, exact duration) come from the page
  // itself, rendered afresh by the server: no second source of truth in this script.
  function refreshTotals() {
    if (!window.fetch || !window.DOMParser) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["elapsed", "cpu", "trials-done", "trials-planned", "best-score"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          if (fresh) { setText(id, fresh.textContent); }
        });
      })
      .catch(function () { /* the live numbers already shown stay; nothing to announce */ });
  }

  // Elapsed time ticks locally between events, so the page feels alive during a slow trial.
  var timer = null;
  function tick() {
    if (finished) { clearInterval(timer); return; }
    if (startedAt) { setText("elapsed", fmtDuration((Date.now() - startedAt) / 1000)); }
  }

  var source = new EventSource(root.dataset.events);
  var failures = 0;
  source.addEventListener("started", function (e) {
    var data = JSON.parse(e.data);
    if (data.at) { startedAt = Date.parse(data.at); }
    setBadge("run-state", "badge-run-", "running");
    if (tracksModel) { setBadge("model-state", "badge-", "busy"); }
    if (!timer) { timer = setInterval(tick, 1000); }
  });
  source.addEventListener("progress", function (e) { failures = 0; onProgress(JSON.parse(e.data)); });
  FINAL.forEach(function (type) {
    source.addEventListener(type, function (e) {
      // The server closes the stream after the final event; close first so EventSource does not reconnect.
      source.close();
      onFinal(type, JSON.parse(e.data));
    });
  });
  source.onerror = function () {
    if (finished) { source.close(); return; }
    failures += 1;
    if (failures >= 5) {
      source.close();
      status.textContent = "Live updates stopped (the connection keeps failing). Reload the page to try again.";
      live.textContent = status.textContent;
    }
  };

  if (!finished && startedAt) { timer = setInterval(tick, 1000); }
  draw();
})();
