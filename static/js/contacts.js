/* The contacts page: filter the house cards as one types. Without this file the
   search form asks the server (?q=), which hides the same houses. The matching
   mirrors providers.selectors.house_codes_matching: a query that is a house's
   code finds that house, otherwise every word must appear in the house's code,
   names or phone digits, case and diacritics ignored. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setup() {
    var form = document.querySelector("[data-contacts-search]");
    if (!form) {
      return;
    }
    var input = form.querySelector("input[type=search]");
    var houses = Array.prototype.slice.call(document.querySelectorAll(".house[data-search]"));
    var count = document.getElementById("contacts-count");
    var none = document.getElementById("contacts-none");

    function apply() {
      var folded = fold(input.value).trim();
      var words = folded.split(/\s+/).filter(Boolean);
      var byCode = houses.some(function (house) {
        return house.dataset.code.toLowerCase() === folded;
      });
      var shown = 0;
      houses.forEach(function (house) {
        var found = byCode
          ? house.dataset.code.toLowerCase() === folded
          : words.every(function (word) {
              return house.dataset.search.indexOf(word) !== -1;
            });
        house.hidden = !found;
        var entry = document.querySelector('[data-index-for="' + house.id + '"]');
        if (entry) {
          entry.hidden = !found;
        }
        shown += found ? 1 : 0;
      });
      count.textContent = String(shown);
      none.hidden = shown !== 0;
    }

    input.addEventListener("input", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
      var url = new URL(window.location.href);
      if (input.value.trim()) {
        url.searchParams.set("q", input.value.trim());
      } else {
        url.searchParams.delete("q");
      }
      window.history.replaceState(null, "", url);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
