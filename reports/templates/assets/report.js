/* brand-audit report: filters, expand/collapse, print, download.
 * Every string from the report is untrusted copy: write it with textContent, never as markup.
 * The page works without this script; it only adds conveniences. */
(function () {
  "use strict";

  var form = document.getElementById("tp-filters");
  var channelSelect = document.getElementById("f-channel");
  var statusSelect = document.getElementById("f-status");
  var searchInput = document.getElementById("f-search");
  var countLine = document.getElementById("f-count");
  var expandButton = document.getElementById("expand-all");
  var downloadButton = document.getElementById("download-json");
  var emptyBody = document.querySelector("tbody.tp-empty");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tbody.tp"));
  var searchText = new Map();

  function textOf(row) {
    if (!searchText.has(row)) {
      searchText.set(row, (row.textContent || "").replace(/\s+/g, " ").toLowerCase());
    }
    return searchText.get(row);
  }

  function allDetails() {
    return Array.prototype.slice.call(document.querySelectorAll("tbody.tp details"));
  }

  function applyFilters() {
    var channel = channelSelect ? channelSelect.value : "";
    var status = statusSelect ? statusSelect.value : "";
    var words = searchInput ? searchInput.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    var shown = 0;
    rows.forEach(function (row) {
      var text = words.length ? textOf(row) : "";
      var match = (!channel || row.getAttribute("data-channel") === channel) &&
        (!status || row.getAttribute("data-status") === status) &&
        words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (emptyBody) { emptyBody.hidden = shown !== 0; }
    if (countLine) {
      countLine.textContent = shown === rows.length
        ? "Showing all " + rows.length + " touchpoints"
        : "Showing " + shown + " of " + rows.length + " touchpoints";
    }
  }

  function setAllOpen(open) {
    allDetails().forEach(function (d) { d.open = open; });
    if (expandButton) {
      expandButton.textContent = open ? "Collapse all" : "Expand all";
      expandButton.setAttribute("aria-pressed", open ? "true" : "false");
    }
  }

  // A link from "Most urgent" opens that touchpoint's findings.
  function openFromHash() {
    var id = "";
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    if (id) { openTarget(id); }
  }

  function openTarget(id) {
    var target = document.getElementById(id);
    if (!target || !target.classList.contains("tp")) { return; }
    if (target.hidden) {
      if (channelSelect) { channelSelect.value = ""; }
      if (statusSelect) { statusSelect.value = ""; }
      if (searchInput) { searchInput.value = ""; }
      applyFilters();
    }
    var details = target.querySelector("details");
    if (details) { details.open = true; }
  }

  function downloadReport() {
    var data = document.getElementById("report-data");
    if (!data) { return; }
    var blob = new Blob([JSON.stringify(JSON.parse(data.textContent), null, 2) + "\n"],
      { type: "application/json" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "report.json";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  if (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    [channelSelect, statusSelect].forEach(function (el) {
      if (el) { el.addEventListener("change", applyFilters); }
    });
    if (searchInput) { searchInput.addEventListener("input", applyFilters); }
    if (expandButton) {
      expandButton.addEventListener("click", function () {
        setAllOpen(expandButton.getAttribute("aria-pressed") !== "true");
      });
    }
    if (downloadButton) { downloadButton.addEventListener("click", downloadReport); }
    applyFilters();
  }

  window.addEventListener("hashchange", openFromHash);
  // Clicking the same link twice does not change the hash, so open on click as well.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-open]") : null;
    if (link) { openTarget(link.getAttribute("data-open")); }
  });
  openFromHash();

  // Printing shows every finding; closed <details> would hide them on paper.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = allDetails().filter(function (d) { return !d.open; });
    openedForPrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (d) { d.open = false; });
    openedForPrint = [];
  });
})();
