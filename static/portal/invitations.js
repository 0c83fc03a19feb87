// Updates the invitation counts every few seconds while they are moving. Without this script
// the page refreshes itself instead (its meta refresh), so the counts move either way.
(function () {
  "use strict";

  var section = document.querySelector("[data-progress-url]");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-progress-url");

  function show(counts) {
    Object.keys(counts).forEach(function (name) {
      document.querySelectorAll('[data-count="' + name + '"]').forEach(function (element) {
        element.textContent = String(counts[name]);
      });
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (counts) {
        show(counts);
        if (counts.preparing || counts.waiting > 0) {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        // The page's own refresh carries on.
      });
  }

  if (section.hasAttribute("data-moving")) {
    window.setTimeout(poll, 2000);
  }
})();
