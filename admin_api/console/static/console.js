// Palabre console: keyboard triage and the inbox's count of new items. Every page works
// without this script; it only saves keystrokes and reloads.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll(".item > a"));
  var sheet = document.getElementById("keys");

  function typing(target) {
    return /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
  }
  function move(step) {
    if (!rows.length) { return; }
    var at = rows.indexOf(document.activeElement);
    var next = Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step));
    rows[next].focus();
    sessionStorage.setItem("palabre.row", location.pathname + location.search + "#" + next);
  }
  function press(key) {
    var button = document.querySelector("[data-key='" + key + "']");
    if (button) { button.click(); return true; }
    return false;
  }
  function focusOn(selector) {
    var field = document.querySelector(selector);
    if (field) { field.focus(); return true; }
    return false;
  }
  var actions = {
    "j": function () { move(1); }, "k": function () { move(-1); },
    "o": function () { if (rows.indexOf(document.activeElement) >= 0) { document.activeElement.click(); } },
    "x": function () {
      var box = document.activeElement.parentNode.querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
    },
    "c": function () { press("c"); }, "a": function () { press("a"); },
    "s": function () { focusOn("#status"); }, "r": function () { focusOn("#text"); },
    "l": function () { focusOn("#labels"); }, "n": function () { focusOn("#note"); },
    "/": function () { focusOn("#q"); }, "i": function () { location.href = "/console/"; },
    "?": function () { if (sheet) { sheet.hidden = !sheet.hidden; } }
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      if (event.key === "Escape" && typing(event.target)) { event.target.blur(); }
      return;
    }
    var act = actions[event.key];
    if (act) { event.preventDefault(); act(); }
  });

  // After an action the page comes back: focus its outcome, or the row left in the inbox.
  var notice = document.querySelector(".notice, .problem");
  var kept = (sessionStorage.getItem("palabre.row") || "").split("#");
  if (notice) { notice.setAttribute("tabindex", "-1"); notice.focus(); }
  else if (rows.length && kept[0] === location.pathname + location.search) {
    var index = parseInt(kept[1], 10);
    if (rows[index]) { rows[index].focus(); }
  }

  // The digest's copy buttons: shown only where the browser can copy.
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = document.getElementById(button.getAttribute("data-copy")).value;
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = "✓ " + button.textContent.replace(/^✓ /, "");
        });
      });
    });
  }

  // An announcement's progress, asked every five seconds until nothing more will change.
  var progress = document.querySelector("[data-progress]");
  if (progress && window.fetch) {
    var ticker = setInterval(function () {
      if (document.hidden) { return; }
      fetch(progress.getAttribute("data-progress"), { credentials: "same-origin" })
        .then(function (answer) { return answer.status === 200 ? answer.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          progress.querySelectorAll("[data-key]").forEach(function (cell) {
            cell.textContent = body[cell.getAttribute("data-key")];
          });
          if (body.finished) { clearInterval(ticker); progress.setAttribute("data-done", ""); }
        })
        .catch(function () { /* offline for a moment: ask again next time */ });
    }, 5000);
  }

  // New items of this filter, asked every half minute (an unchanged answer is an empty 304).
  var list = document.querySelector("[data-poll]");
  if (!list || !window.fetch) { return; }
  var banner = document.getElementById("arrived");
  var tag = null;
  setInterval(function () {
    if (document.hidden) { return; }
    fetch(list.getAttribute("data-poll"), { headers: tag ? { "If-None-Match": tag } : {},
                                             credentials: "same-origin" })
      .then(function (answer) {
        if (answer.status !== 200) { return null; }
        tag = answer.headers.get("ETag");
        return answer.json();
      })
      .then(function (body) {
        if (!body || !body["new"]) { return; }
        banner.querySelector("span").textContent = body["new"];
        banner.hidden = false;
      })
      .catch(function () { /* offline for a moment: ask again next time */ });
  }, 30000);
}());
