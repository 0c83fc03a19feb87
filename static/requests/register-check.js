// Looks the item up in the register of authorised items as it is typed. Without this script the
// page works the same way through its "Check the register" button (?q=).
(function () {
  "use strict";

  var check = document.querySelector("[data-register-check]");
  var item = document.getElementById("id_item");
  if (!check || !item || !window.fetch || !window.DOMParser || !window.URL) {
    return;
  }
  var timer = null;
  var last = item.value.trim();

  function results() {
    return document.getElementById("register-matches");
  }

  function lookUp() {
    var text = item.value.trim();
    if (text === last) {
      return;
    }
    last = text;
    var url = new URL(window.location.href);
    url.search = "";
    url.searchParams.set("q", text);
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        // A slower, older answer must not replace a newer one.
        if (text !== last) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("register-matches");
        var current = results();
        if (fresh && current) {
          current.replaceChildren.apply(current, Array.prototype.slice.call(fresh.childNodes));
        }
      })
      .catch(function () {
        // The register is a help, not a step: the request can be submitted without it.
      });
  }

  // The form's own item field now does the looking up, so the separate box is not needed.
  check.hidden = true;
  item.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 400);
  });
})();
