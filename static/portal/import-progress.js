// Keeps a staff import's page up to date while the worker imports: fetches the page again every
// two seconds and puts its progress section in place of this one, until the import has finished.
// Without this script the page refreshes itself (a <noscript> refresh) and has a reload link.
(function () {
  "use strict";

  var INTERVAL = 2000;
  if (!document.querySelector("[data-import-job]") || !window.fetch || !window.DOMParser) {
    return;
  }

  function update() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var section = fresh.querySelector("[data-import-job]");
        var current = document.querySelector("[data-import-job]");
        if (!section || !current) {
          return;
        }
        current.replaceWith(document.importNode(section, true));
        if (section.getAttribute("data-finished") !== "1") {
          window.setTimeout(update, INTERVAL);
        }
      })
      .catch(function () {
        // The server is busy or briefly away: try again.
        window.setTimeout(update, INTERVAL * 2);
      });
  }

  var job = document.querySelector("[data-import-job]");
  if (job.getAttribute("data-finished") !== "1") {
    window.setTimeout(update, INTERVAL);
  }
})();
