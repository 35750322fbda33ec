/* The specialist queue: quiet live refresh, keyboard shortcuts, copy button.
 *
 * The list (#queue-list) polls queue:rows every 5 s. The last ETag is sent back as
 * If-None-Match: an unchanged queue answers 304 and the list is left untouched (an
 * explicit If-None-Match keeps the browser cache out of it, so the 304 reaches us).
 * When the list is swapped, htmx restores the focused control by its id; the
 * selected row is restored here. Everything works without this file, minus the
 * live refresh and the shortcuts.
 */
(function () {
  "use strict";

  var htmx = window.htmx;
  var selected = null; // reference of the selected row

  // The list, looked up each time: history navigation may replace the page's body.
  function theList() {
    return document.getElementById("queue-list");
  }

  if (htmx) {
    // No page snapshots in localStorage; going back reloads the page instead.
    htmx.config.historyCacheSize = 0;
    htmx.config.refreshOnHistoryMiss = true;
    // 304 Not Modified: nothing to swap (htmx would otherwise empty the target).
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "304", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: false, error: true }
    ];
  }

  function rows() {
    var list = theList();
    return list ? Array.prototype.slice.call(list.querySelectorAll("tbody tr[data-reference]")) : [];
  }

  function select(row, focus) {
    rows().forEach(function (r) { r.classList.toggle("is-current", r === row); });
    if (!row) { return; }
    selected = row.getAttribute("data-reference");
    if (focus) {
      var link = row.querySelector("a.queue-ref");
      if (link) { link.focus(); link.scrollIntoView({ block: "nearest" }); }
    }
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = -1;
    all.forEach(function (r, i) { if (r.getAttribute("data-reference") === selected) { index = i; } });
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    select(all[next], true);
  }

  function click(id) {
    var button = id && document.getElementById(id);
    if (button) { button.click(); return true; }
    return false;
  }

  function isTyping(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])");
  }

  function toggleShortcuts() {
    var box = document.getElementById("queue-shortcuts");
    if (box) { box.open = !box.open; }
  }

  function focusFirst(selector) {
    var field = document.querySelector(selector);
    if (field) { field.focus(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
      return;
    }
    var key = event.key;
    var list = theList();
    var inList = list && list.contains(event.target);
    var handled = false;
    if (key === "?") {
      toggleShortcuts();
      handled = true;
    } else if (list) {
      if (key === "j" || (key === "ArrowDown" && inList)) { move(1); handled = true; }
      else if (key === "k" || (key === "ArrowUp" && inList)) { move(-1); handled = true; }
      else if (key === "c") { handled = click(selected && "claim-" + selected); }
      else if (key === "/") { handled = focusFirst("#queue-filters select, #queue-filters input"); }
    } else {
      if (key === "c") { handled = click("claim-action"); }
      else if (key === "r") { handled = focusFirst("#resolve-form select, #resolve-form textarea"); }
      else if (key === "u") { handled = click("back-to-queue"); }
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("focusin", function (event) {
    var list = theList();
    var row = list && list.contains(event.target) && event.target.closest("tr[data-reference]");
    if (row) { select(row, false); }
  });

  // The list keeps the ETag of what it shows in data-etag.
  document.addEventListener("htmx:configRequest", function (event) {
    var list = theList();
    var etag = list && list.getAttribute("data-etag");
    if (event.detail.elt === list && etag) {
      event.detail.headers["If-None-Match"] = etag;
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var list = theList();
    if (!list || detail.target !== list) { return; }
    var xhr = detail.xhr;
    if (xhr.responseURL && new URL(xhr.responseURL).pathname !== new URL(detail.pathInfo.finalRequestPath || detail.pathInfo.requestPath, location.href).pathname) {
      // Redirected (signed out, typically): show the real page instead of a list.
      detail.shouldSwap = false;
      location.reload();
      return;
    }
    var tag = xhr.getResponseHeader("ETag");
    if (xhr.status === 304 || (tag && tag === list.getAttribute("data-etag") && detail.elt === list)) {
      detail.shouldSwap = false;
      return;
    }
    if (tag) { list.setAttribute("data-etag", tag); }
  });

  // After the settle step (htmx puts each element's new attributes back then).
  document.addEventListener("htmx:afterSettle", function (event) {
    var list = theList();
    if (list && event.detail.target === list && selected) {
      var row = document.getElementById("row-" + selected);
      if (row) { row.classList.add("is-current"); }
    }
  });

  // After an action on a request's page (the main region is swapped), bring the
  // keyboard and screen reader to the outcome: the message, else the heading.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "main") { return; }
    var goal = document.querySelector("#main .errorlist, #main .messages, #main h1");
    if (goal) {
      if (!goal.hasAttribute("tabindex")) { goal.setAttribute("tabindex", "-1"); }
      goal.focus();
    }
  });

  // Copy the identifier, with a visible confirmation.
  function showCopyButtons(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("button[data-copy]"), function (button) {
      button.hidden = false;
    });
  }

  function selectIdentifier() {
    var node = document.getElementById("identifier");
    if (!node) { return; }
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var status = button.parentNode.querySelector(".queue-copied");
    var say = function (text) {
      if (!status) { return; }
      status.textContent = text;
      window.clearTimeout(status.timer);
      status.timer = window.setTimeout(function () { status.textContent = ""; }, 5000);
    };
    var failed = function () { selectIdentifier(); say(button.getAttribute("data-failed")); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        say(button.getAttribute("data-copied"));
      }, failed);
    } else {
      failed();
    }
  });

  showCopyButtons(document);
  if (htmx) { htmx.onLoad(showCopyButtons); }
})();
