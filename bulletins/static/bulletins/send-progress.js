/*
 * Live counts on a send's progress page (bulletins/admin_views.py, SendProgressView).
 *
 * Every 2 seconds, while the send is queued or sending, fetch its counts as JSON
 * and write them into the page; when it is finished, reload once so the server
 * renders the report. Without JavaScript the page works the same: it has a
 * refresh link. No build step, no dependencies.
 */
(function () {
  "use strict";

  var INTERVAL = 2000;
  var BACKOFF = 10000;
  var root = document.querySelector("[data-send-progress]");
  if (!root || root.getAttribute("data-live") !== "true" || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-progress-url");
  var numbers = new Intl.NumberFormat("en-GB");

  function setText(selector, value) {
    var element = root.querySelector(selector);
    if (element && element.textContent !== value) {
      element.textContent = value;
    }
  }

  function update(data) {
    Object.keys(data).forEach(function (name) {
      if (typeof data[name] === "number") {
        setText('[data-count="' + name + '"]', numbers.format(data[name]));
      }
    });
    setText("[data-progress-status]", data.status_label);
    setText("[data-progress-percent]", data.percent + "%");
    var bar = root.querySelector("[data-progress-bar]");
    if (bar) {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
    }
  }

  function poll() {
    fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        update(data);
        if (data.done || !data.live) {
          window.location.reload();
        } else {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        // The server or the network hiccuped: try again, less often.
        window.setTimeout(poll, BACKOFF);
      });
  }

  window.setTimeout(poll, INTERVAL);
})();
