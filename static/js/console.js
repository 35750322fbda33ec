/* The phone console. Progressive enhancement only: without this file a result's
   "Select" link reloads the page with the provider chosen, the filing section and
   every identifier field stay visible, and the server explains a reader code
   after the call is logged. */
(function () {
  "use strict";

  var loadedAt = Date.now();

  function callForm() {
    return document.getElementById("call-form");
  }

  function field(form, name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function pad(number) {
    return String(number).padStart(2, "0");
  }

  /* The start time is filled in when the page is served; the page may then wait
     a long time for the phone to ring. The first thing typed for a call moves it
     forward by the time the page waited (server clock, whatever the browser's
     time zone). */
  function markStarted() {
    var form = callForm();
    if (!form || !form.hasAttribute("data-fresh")) {
      return;
    }
    form.removeAttribute("data-fresh");
    var input = field(form, "started_at");
    var parts = input && input.value.match(/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/);
    if (!parts) {
      return;
    }
    var served = Date.UTC(+parts[1], parts[2] - 1, +parts[3], +parts[4], +parts[5], +(parts[6] || 0));
    var now = new Date(served + (Date.now() - loadedAt));
    input.value = now.getUTCFullYear() + "-" + pad(now.getUTCMonth() + 1) + "-" +
      pad(now.getUTCDate()) + "T" + pad(now.getUTCHours()) + ":" +
      pad(now.getUTCMinutes()) + ":" + pad(now.getUTCSeconds());
  }

  function selectProvider(link) {
    var form = callForm();
    var item = link.closest(".lookup-item");
    if (!form || !item) {
      return false;
    }
    markStarted();
    field(form, "provider").value = link.dataset.provider;
    document.getElementById("provider-summary").replaceChildren(
      item.querySelector(".provider-brief").cloneNode(true)
    );
    form.querySelector(".clear-provider").hidden = false;
    var phone = field(form, "caller_phone");
    var lookup = document.getElementById("lookup-q");
    var query = lookup ? lookup.value.trim() : "";
    if (!phone.value && query.replace(/\D/g, "").length >= 9) {
      phone.value = query;
    }
    (phone.value ? field(form, "reason") : phone).focus();
    return true;
  }

  function clearProvider() {
    var form = callForm();
    field(form, "provider").value = "";
    document.getElementById("provider-summary").replaceChildren(
      document.getElementById("provider-none").content.cloneNode(true)
    );
    form.querySelector(".clear-provider").hidden = true;
    document.getElementById("lookup-q").focus();
  }

  function syncFiling(form, fromUser) {
    var toggle = field(form, "file_request");
    var filing = form.querySelector("[data-filing]");
    if (!toggle || !filing) {
      return;
    }
    filing.hidden = !toggle.checked;
    if (!fromUser) {
      return;
    }
    var outcome = field(form, "outcome");
    if (toggle.checked) {
      outcome.value = "request_filed";
      field(form, "error_code").focus();
    } else if (outcome.value === "request_filed") {
      outcome.value = "answered";
    }
  }

  /* Show the identifier the chosen code needs (the CID for 15, the card number
     for 5 and 17, none for a code the CAS does not fix) and the code's advice. */
  function syncCode(form, fromUser) {
    var select = field(form, "error_code");
    if (!select) {
      return;
    }
    var option = select.selectedOptions[0];
    var known = Boolean(option && option.value);
    var kind = known ? option.dataset.kind : null;
    form.querySelectorAll("[data-identifier]").forEach(function (wrapper) {
      wrapper.hidden = known && wrapper.dataset.identifier !== kind &&
        !wrapper.classList.contains("invalid");
    });
    form.querySelectorAll("[data-filing-only]").forEach(function (wrapper) {
      wrapper.hidden = known && !kind;
    });
    var advice = document.getElementById("error-advice");
    if (known) {
      advice.textContent = (kind ? "" : advice.dataset.nothingFiled + " ") + option.dataset.advice;
      advice.classList.toggle("nothing-filed", !kind);
    } else if (fromUser) {
      advice.textContent = "";
    }
    if (fromUser && known && option.dataset.reason) {
      field(form, "reason").value = option.dataset.reason;
    }
  }

  function setup() {
    var form = callForm();
    if (form) {
      syncFiling(form, false);
      syncCode(form, false);
    }
  }

  /* After a call is logged (or refused) the console is replaced, except the
     lookup (hx-preserve): say what happened by moving focus to the first field
     to fix, or to the message, and start the next call with an empty lookup. */
  function focusOutcome(main) {
    var problem = main.querySelector(".form-error") ||
      main.querySelector('#call-form [aria-invalid="true"]');
    var target = problem || main.querySelector(".messages");
    if (!target) {
      return;
    }
    if (!problem) {
      document.getElementById("lookup-q").value = "";
      document.getElementById("lookup-results").replaceChildren();
    }
    var details = target.closest("details");
    if (details) {
      details.open = true;
    }
    if (!target.hasAttribute("tabindex") && !target.matches("input, select, textarea")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-provider]");
    if (pick && selectProvider(pick)) {
      event.preventDefault();
      return;
    }
    var clear = event.target.closest("[data-clear-provider]");
    if (clear && callForm()) {
      event.preventDefault();
      clearProvider();
    }
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    var form = callForm();
    if (!form) {
      return;
    }
    if (target.name === "started_at" || target.name === "ended_at") {
      form.removeAttribute("data-fresh");
    } else if (target.id === "lookup-q" || form.contains(target)) {
      markStarted();
    }
  });

  document.addEventListener("change", function (event) {
    var form = callForm();
    if (!form || !form.contains(event.target)) {
      return;
    }
    if (event.target.name === "file_request") {
      syncFiling(form, true);
    } else if (event.target.name === "error_code") {
      syncCode(form, true);
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    if (element.classList && element.classList.contains("lookup-found")) {
      document.getElementById("lookup-status").textContent = element.dataset.status;
    } else if (element.id === "main") {
      loadedAt = Date.now();
      setup();
      focusOutcome(element);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
