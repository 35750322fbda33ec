/* Provider portal enhancements. Every page works without this file; the server
   stays the judge of every input. Texts come from the page (data-* attributes
   rendered in the user's language), never from here. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (match, key) {
      return key in values ? String(values[key]) : match;
    });
  }

  function describedBy(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var has = ids.indexOf(id) !== -1;
    if (on && !has) ids.push(id);
    if (!on && has) ids.splice(ids.indexOf(id), 1);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  /* --- Identifier checks: the same rules as providers/validators.py --------- */

  var CNP_WEIGHTS = [2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9];
  var CNP_COUNTIES = /^(0[1-9]|[1-3][0-9]|4[0-8]|5[12]|70|8[0-3])$/;
  var CNP_CENTURY = { 1: 1900, 2: 1900, 3: 1800, 4: 1800, 5: 2000, 6: 2000 };

  function looksLikeCnp(value) {
    if (!/^[1-9][0-9]{12}$/.test(value)) return false;
    var year = parseInt(value.slice(1, 3), 10) + (CNP_CENTURY[value[0]] || 1900);
    var month = parseInt(value.slice(3, 5), 10);
    var day = parseInt(value.slice(5, 7), 10);
    var date = new Date(Date.UTC(year, month - 1, day));
    if (month < 1 || month > 12 || date.getUTCDate() !== day) return false;
    if (!CNP_COUNTIES.test(value.slice(7, 9))) return false;
    var sum = 0;
    for (var i = 0; i < 12; i++) sum += CNP_WEIGHTS[i] * parseInt(value[i], 10);
    var check = sum % 11;
    return String(check === 10 ? 1 : check) === value[12];
  }

  var RULES = {
    cid: function (raw) {
      var value = raw.replace(/[\s.\-/]+/g, "");
      if (!value) return { error: "required", count: 0 };
      if (looksLikeCnp(value)) return { error: "cnp", count: value.length };
      if (!/^[0-9]+$/.test(value)) return { error: "digits", count: value.length };
      if (value.length !== 20) return { error: "length", count: value.length };
      return { error: null, count: value.length };
    },
    card_number: function (raw) {
      var value = raw.replace(/\s+/g, "").toUpperCase();
      if (!value) return { error: "required", count: 0 };
      if (looksLikeCnp(value)) return { error: "cnp", count: value.length };
      if (!/^[A-Z0-9]+$/.test(value)) return { error: "characters", count: value.length };
      if (value.length === 20 && /^[0-9]+$/.test(value)) return { error: "cid", count: 20 };
      if (value.length !== 16) return { error: "length", count: value.length };
      return { error: null, count: value.length };
    },
  };

  function setupCheck(input) {
    var rule = RULES[input.dataset.check];
    var live = document.getElementById(input.id + "_live");
    var serverErrors = document.getElementById(input.id + "_error");
    var timer = null;
    if (!rule || !live) return null;

    function show(message) {
      live.textContent = message || "";
      input.setAttribute("aria-invalid", message ? "true" : "false");
      describedBy(input, live.id, Boolean(message));
    }

    // complete: the agent has finished typing (blur, pause, submit).
    function check(complete) {
      var result = rule(input.value);
      if (result.error === "required" && !complete) return show("");
      // While typing, only what can never become right is flagged at once.
      var early = ["digits", "characters"].indexOf(result.error) !== -1;
      if (result.error && (complete || early)) {
        var template = input.dataset["msg" + result.error[0].toUpperCase() + result.error.slice(1)];
        return show(format(template || "", { count: result.count }));
      }
      return show("");
    }

    input.addEventListener("input", function () {
      if (serverErrors) serverErrors.hidden = true;
      window.clearTimeout(timer);
      check(false);
      timer = window.setTimeout(function () {
        if (input.value.trim()) check(true);
      }, 700);
    });
    input.addEventListener("blur", function () {
      window.clearTimeout(timer);
      if (input.value.trim()) check(true);
    });
    return {
      input: input,
      validate: function () {
        window.clearTimeout(timer);
        check(true);
        return !live.textContent;
      },
    };
  }

  /* --- The request form -------------------------------------------------- */

  function setupFileForm(form) {
    var code = form.querySelector("select[name=error_code]");
    var requestFields = form.querySelector("[data-request-fields]");
    var advice = Array.prototype.slice.call(form.querySelectorAll("[data-advice]"));
    var idFields = Array.prototype.slice.call(form.querySelectorAll("[data-for-codes]"));
    var checks = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-check]"), function (input) {
      var check = setupCheck(input);
      if (check) checks[input.name] = check;
    });
    var fileable = [];
    idFields.forEach(function (field) {
      fileable = fileable.concat(field.dataset.forCodes.split(" "));
    });

    function apply() {
      var value = code.value;
      var isFileable = fileable.indexOf(value) !== -1;
      advice.forEach(function (section) {
        section.hidden = section.dataset.advice !== value;
      });
      requestFields.hidden = Boolean(value) && !isFileable;
      idFields.forEach(function (field) {
        var on = field.dataset.forCodes.split(" ").indexOf(value) !== -1;
        field.hidden = !on;
        // A hidden field is not sent: what was typed stays if the code changes back.
        Array.prototype.forEach.call(field.querySelectorAll("input"), function (input) {
          input.disabled = !on;
        });
      });
    }

    code.addEventListener("change", apply);
    apply();

    form.addEventListener("submit", function (event) {
      var failed = null;
      Object.keys(checks).forEach(function (name) {
        var check = checks[name];
        if (!check.input.disabled && !check.validate() && !failed) failed = check.input;
      });
      if (failed) {
        event.preventDefault();
        failed.focus();
      }
    });

    setupHouseFilter(form);
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setupHouseFilter(form) {
    var box = form.querySelector("[data-house-filter]");
    if (!box) return;
    var input = box.querySelector("[data-house-filter-input]");
    var count = box.querySelector("[data-house-filter-count]");
    var select = form.querySelector("select[name=house]");
    var options = Array.prototype.slice.call(select.options).map(function (option) {
      return { option: option, text: fold(option.text + " " + (option.dataset.search || "")) };
    });
    box.hidden = false;

    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = options.filter(function (item) {
        var match = words.every(function (word) {
          return item.text.indexOf(word) !== -1;
        });
        item.option.hidden = !match;
        return match;
      });
      if (!words.length) {
        select.removeAttribute("size");
        count.textContent = "";
        return;
      }
      // While filtering, the select opens as a list of the matches to pick from.
      select.size = Math.max(2, Math.min(shown.length, 6));
      if (shown.length && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
        shown[0].option.selected = true;
      }
      var key = shown.length === 0 ? "labelNone" : shown.length === 1 ? "labelOne" : "labelMany";
      count.textContent = format(count.dataset[key] || "", { count: shown.length });
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  /* --- The guided PIN reset ------------------------------------------------ */

  function setupGuide(guide) {
    var steps = Array.prototype.slice.call(guide.querySelectorAll("[data-guide-steps] > li"));
    var nav = guide.querySelector("[data-guide-nav]");
    var back = guide.querySelector("[data-guide-back]");
    var next = guide.querySelector("[data-guide-next]");
    var progress = guide.querySelector("[data-guide-progress]");
    var bar = progress.querySelector("progress");
    var label = progress.querySelector("[data-label]");
    var outcome = document.querySelector("[data-guide-outcome]");
    // Open at the outcome again after a refused "still fails" form.
    var finished = Boolean(outcome && outcome.querySelector("details[open]"));
    var current = finished ? steps.length : 1;
    if (!steps.length) return;

    function show() {
      steps.forEach(function (step, index) {
        step.hidden = index + 1 !== current;
      });
      bar.value = current;
      label.textContent = format(label.dataset.label, { current: current, total: steps.length });
      back.disabled = current === 1;
      var last = current === steps.length;
      next.textContent = last ? next.dataset.labelFinish : next.dataset.labelNext;
      next.hidden = last && finished;
      if (outcome) outcome.hidden = !finished;
    }

    back.addEventListener("click", function () {
      if (current > 1) current -= 1;
      finished = false;
      show();
    });
    next.addEventListener("click", function () {
      if (current < steps.length) {
        current += 1;
        show();
        return;
      }
      finished = true;
      show();
      if (outcome) outcome.focus();
    });

    guide.classList.add("guided");
    nav.hidden = false;
    progress.hidden = false;
    show();
  }

  /* --- Print ------------------------------------------------------------ */

  function setupPrint(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-file-form]");
    if (form) setupFileForm(form);
    var guide = document.querySelector("[data-guide]");
    if (guide) setupGuide(guide);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), setupPrint);
  });
})();
