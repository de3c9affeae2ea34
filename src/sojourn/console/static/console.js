// Sojourn console: a little vanilla JavaScript over server-rendered pages (no build step, no CDN).
// Graph zoom and state selection, live execution updates by polling, tabs, JSON editors, confirmations.
(function () {
  "use strict";

  var STATUS_CLASSES = ["st-RUNNING", "st-SUCCEEDED", "st-FAILED", "st-CAUGHT_ERROR", "st-CANCELLED"];
  var POLL_MS = 1000;
  var states = {};
  var selected = null;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // -- graph: zoom, colours, selection ------------------------------------------------------------

  function setupZoom() {
    $all(".graph-frame").forEach(function (frame) {
      var svg = $("svg.graph", frame);
      $all("[data-zoom]", frame).forEach(function (button) {
        button.addEventListener("click", function () {
          if (button.getAttribute("data-zoom") === "fit") {
            svg.setAttribute("width", "100%");
            svg.removeAttribute("height");
          } else {
            svg.setAttribute("width", svg.getAttribute("data-width"));
            svg.setAttribute("height", svg.viewBox.baseVal.height);
          }
        });
      });
    });
  }

  function colour() {
    $all("svg [data-state]").forEach(function (element) {
      var entry = states[element.getAttribute("data-state")];
      STATUS_CLASSES.forEach(function (name) { element.classList.remove(name); });
      if (entry) { element.classList.add("st-" + entry.status); }
    });
  }

  // Box labels are cut to fit by an estimate of their width; squeeze those the browser draws wider.
  function fitLabels() {
    $all("svg.graph g.node").forEach(function (node) {
      var box = $("rect", node), label = $("text.name", node);
      var room = box.width.baseVal.value - 10;
      if (label && label.getComputedTextLength() > room) {
        label.setAttribute("textLength", room);
        label.setAttribute("lengthAdjust", "spacingAndGlyphs");
      }
    });
  }

  function text(tag, value, className) {
    var element = document.createElement(tag);
    element.textContent = value;
    if (className) { element.className = className; }
    return element;
  }

  function pretty(value) {
    if (value === null || value === undefined) { return ""; }
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch (e) { return String(value); }
  }

  var STATUS_WORDS = {
    RUNNING: "In progress", SUCCEEDED: "Succeeded", FAILED: "Failed", CAUGHT_ERROR: "Caught error",
    CANCELLED: "Cancelled"
  };

  function showState(name) {
    var panel = $("#state-panel");
    if (!panel) { return; }
    selected = name;
    $all("[data-state].selected").forEach(function (element) { element.classList.remove("selected"); });
    $all('svg [data-state="' + CSS.escape(name) + '"]').forEach(function (element) { element.classList.add("selected"); });
    var entry = states[name];
    panel.textContent = "";
    panel.appendChild(text("h2", name));
    if (!entry) {
      panel.appendChild(text("p", "Not reached.", "muted"));
      return;
    }
    var facts = document.createElement("dl");
    facts.className = "facts";
    function fact(label, value, className) {
      facts.appendChild(text("dt", label));
      facts.appendChild(text("dd", value, className));
    }
    fact("Status", STATUS_WORDS[entry.status] || entry.status, "status st-" + entry.status);
    fact("Type", entry.type);
    fact("Entered", entry.entered + (entry.entered === 1 ? " time" : " times"));
    if (entry.retries) { fact("Retries", String(entry.retries)); }
    if (entry.enteredDate) { fact("First entered", entry.enteredDate.replace("T", " ")); }
    if (entry.exitedDate) { fact("Last exited", entry.exitedDate.replace("T", " ")); }
    if (entry.error) { fact("Error", entry.error, "fail"); }
    panel.appendChild(facts);
    if (entry.cause) { panel.appendChild(text("h3", "Cause")); panel.appendChild(text("pre", entry.cause, "code")); }
    panel.appendChild(text("h3", "Input"));
    panel.appendChild(text("pre", pretty(entry.input), "code state-input"));
    if (entry.output !== null && entry.output !== undefined) {
      panel.appendChild(text("h3", "Output"));
      panel.appendChild(text("pre", pretty(entry.output), "code state-output"));
    }
    if (entry.failures && entry.failures.length) {
      panel.appendChild(text("h3", "Failed attempts"));
      var list = document.createElement("ol");
      entry.failures.forEach(function (failure) {
        list.appendChild(text("li", failure.error + (failure.cause ? ": " + failure.cause : "")));
      });
      panel.appendChild(list);
    }
  }

  function setupSelection() {
    if (!$("#state-panel")) { return; }
    document.addEventListener("click", function (event) {
      var target = event.target.closest("svg [data-state], .bar-row[data-state]");
      if (target) { showState(target.getAttribute("data-state")); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") { return; }
      var target = event.target.closest && event.target.closest("svg [data-state]");
      if (target) { event.preventDefault(); showState(target.getAttribute("data-state")); }
    });
  }

  // -- live execution -------------------------------------------------------------------------------

  function setupLive() {
    var root = $("#execution");
    if (!root) { return; }
    var data = $("#states-data");
    states = data ? JSON.parse(data.textContent) : {};
    colour();
    var running = root.getAttribute("data-status") === "RUNNING";
    if (!running) { return; }
    var url = root.getAttribute("data-progress");
    function poll() {
      var since = root.getAttribute("data-last-event");
      fetch(url + "?since=" + encodeURIComponent(since), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && answer.changed) { apply(root, answer); }
          if (answer && root.getAttribute("data-status") !== "RUNNING") { return; }
          window.setTimeout(poll, document.hidden ? POLL_MS * 3 : POLL_MS);
        })
        .catch(function () { window.setTimeout(poll, POLL_MS * 3); });
    }
    window.setTimeout(poll, POLL_MS);
  }

  function apply(root, answer) {
    states = answer.states;
    root.setAttribute("data-last-event", answer.lastEventId);
    root.setAttribute("data-status", answer.status);
    $("#summary").innerHTML = answer.summary;
    var rows = $("#history-rows");
    if (rows.hasAttribute("data-live")) { rows.insertAdjacentHTML("beforeend", answer.rows); }
    $("#timeline-bars").innerHTML = answer.timeline;
    colour();
    setupForms($("#summary"));
    if (selected) { showState(selected); }
  }

  // -- tabs, JSON editors, confirmations -----------------------------------------------------------

  function setupTabs() {
    $all("[data-tabs]").forEach(function (nav) {
      var links = $all("[data-tab]", nav);
      links.forEach(function (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          links.forEach(function (other) {
            other.classList.toggle("active", other === link);
            var pane = document.getElementById(other.getAttribute("data-tab"));
            if (pane) { pane.hidden = other !== link; }
          });
        });
      });
    });
  }

  function checkJson(area) {
    var status = $(".json-status", area.parentNode);
    try {
      JSON.parse(area.value.trim() || "{}");
      area.setCustomValidity("");
      if (status) { status.textContent = "Valid JSON"; status.className = "json-status ok"; }
      return true;
    } catch (error) {
      area.setCustomValidity("Invalid JSON");
      if (status) { status.textContent = error.message; status.className = "json-status fail"; }
      return false;
    }
  }

  function setupForms(root) {
    $all("textarea[data-json]", root).forEach(function (area) {
      area.addEventListener("input", function () { checkJson(area); });
      checkJson(area);
    });
    $all("[data-format-json]", root).forEach(function (button) {
      button.addEventListener("click", function () {
        var area = $("textarea[data-json]", button.parentNode);
        if (checkJson(area)) { area.value = JSON.stringify(JSON.parse(area.value.trim() || "{}"), null, 2); }
      });
    });
    $all("form[data-json-form]", root).forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var bad = $all("textarea[data-json]", form).filter(function (area) { return !checkJson(area); });
        if (bad.length) { event.preventDefault(); bad[0].focus(); }
      });
    });
    $all("form[data-confirm]", root).forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupZoom();
    fitLabels();
    setupSelection();
    setupTabs();
    setupForms(document);
    setupLive();
  });
})();
