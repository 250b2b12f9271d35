/*
 * BankID login page: swaps the animated QR code every second and asks the
 * server for the order's state every two seconds (the server collects from
 * BankID and answers with the message to show). The order itself lives in the
 * server-side session; this script never sees it. No inline script: the page
 * runs under a strict Content-Security-Policy.
 */
(function () {
  "use strict";

  var root = document.getElementById("bankid-login");
  if (!root) {
    return;
  }
  var statusUrl = root.getAttribute("data-status-url");
  var qrUrl = root.getAttribute("data-qr-url");
  var networkMessage = root.getAttribute("data-network-message");
  var qr = document.getElementById("bankid-qr");
  var message = document.getElementById("bankid-message");
  var start = document.getElementById("bankid-start");
  var retry = document.getElementById("bankid-retry");
  var cancelForm = document.getElementById("bankid-cancel");
  var autostart = document.getElementById("bankid-autostart");
  var csrf = cancelForm.querySelector("input[name=csrfmiddlewaretoken]").value;
  var autostarted = false;
  var finished = false;
  var failures = 0;

  autostart.addEventListener("click", function () {
    autostarted = true;
  });

  // Load the next frame off-screen and swap it in, so the code never flickers.
  var qrTimer = window.setInterval(function () {
    if (finished) {
      return;
    }
    var next = new Image();
    next.onload = function () {
      if (!finished) {
        qr.src = next.src;
      }
    };
    next.src = qrUrl + "?t=" + Date.now();
  }, 1000);

  function finish() {
    finished = true;
    window.clearInterval(qrTimer);
  }

  function show(text) {
    if (text && message.textContent !== text) {
      message.textContent = text;
    }
  }

  function poll() {
    var body = new URLSearchParams();
    body.set("autostarted", autostarted ? "1" : "0");
    fetch(statusUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      body: body
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state.message);
        if (state.status === "complete") {
          finish();
          window.location.assign(state.redirect);
        } else if (state.status === "failed") {
          finish();
          start.hidden = true;
          cancelForm.hidden = true;
          retry.hidden = false;
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        // The portal itself is unreachable: say so, keep trying for a while.
        failures += 1;
        show(networkMessage);
        if (failures < 15) {
          window.setTimeout(poll, 2000);
        } else {
          finish();
          retry.hidden = false;
        }
      });
  }

  window.setTimeout(poll, 2000);
})();
