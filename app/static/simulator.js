// The simulator page: each step goes by fetch and the phone is redrawn in place. Without this script the same
// forms post plainly and the server draws the whole page again.
(function () {
  "use strict";

  var POLL_MS = 4000;
  var form = document.getElementById("sim-keys");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var words = form.dataset; // translated texts, from the data-t-* attributes
  var input = document.getElementById("sim-input");
  var sendButton = document.getElementById("sim-send");
  var cancelButton = document.getElementById("sim-cancel");
  var errorBox = document.getElementById("sim-error");
  var busy = false;
  var sends = 0; // a poll that started before a send may answer after it: its older thread is dropped

  function field(name) {
    var element = form.elements.namedItem(name);
    return element ? element.value : "";
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
  }

  function readJson(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      // A refused CSRF token or an expired login comes back as a page, not as JSON.
      throw new Error(words.tExpired);
    }
    return response.json().then(function (data) {
      if (!response.ok) {
        throw new Error(data.error || words.tFailed);
      }
      return data;
    });
  }

  function post(values) {
    var body = new URLSearchParams();
    body.set("csrf_token", field("csrf_token"));
    body.set("phone", field("phone"));
    body.set("session_id", field("session_id"));
    Object.keys(values).forEach(function (name) {
      body.set(name, values[name]);
    });
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(readJson);
  }

  function send(step) {
    if (busy) {
      return;
    }
    setBusy(true);
    sends += 1;
    step().then(function () {
      errorBox.textContent = "";
    }).catch(function (error) {
      errorBox.textContent = error.message || words.tFailed;
    }).then(function () {
      setBusy(false);
      if (!form.hidden) {
        input.focus();
      }
    });
  }

  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      cancelButton.click();
    }
  });

  if (words.channel === "ussd") {
    startUssd();
  } else {
    startSms();
  }

  function startUssd() {
    var screen = document.getElementById("sim-screen");
    var status = document.getElementById("sim-status");
    var ended = document.getElementById("sim-ended");
    var keypad = document.getElementById("sim-keypad");
    var path = field("text");
    var dialled = field("dialled") === "1";

    function finish() {
      form.hidden = true;
      ended.hidden = false;
      ended.querySelector("a").focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answer = input.value.trim();
      if (dialled && !answer) {
        input.focus();
        return;
      }
      // As Africa's Talking does: the dial posts "", then every answer so far joined with "*".
      var text = !dialled ? "" : (path ? path + "*" + answer : answer);
      send(function () {
        return post({text: text}).then(function (data) {
          path = data.text;
          dialled = true;
          input.value = "";
          screen.textContent = data.screen;
          status.textContent = (data.final ? "END" : "CON") + " · " + data.length + "/" + words.screenLimit;
          if (data.final) {
            finish();
          }
        });
      });
    });

    cancelButton.addEventListener("click", function (event) {
      // Hanging up sends nothing: like a dropped call, the service keeps the state for its resume offer.
      event.preventDefault();
      screen.textContent = words.tHungUp;
      status.textContent = "";
      finish();
    });

    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var key = event.target.getAttribute("data-key");
      if (key) {
        input.value += key;
        input.focus();
      }
    });
  }

  function startSms() {
    var thread = document.getElementById("sim-thread");
    var query = new URLSearchParams({phone: field("phone"), since: field("since"), session: field("session_id")});
    var messagesUrl = form.getAttribute("data-messages-url") + "?" + query.toString();

    function bubble(message) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      var time = document.createElement("time");
      item.className = "bubble " + message.direction;
      item.setAttribute("data-id", message.id);
      label.className = "visually-hidden";
      label.textContent = (message.direction === "sent" ? words.tSent : words.tReceived) + " ";
      time.setAttribute("datetime", message.created_at);
      time.textContent = message.clock; // the deployment's time of day, as the server draws it
      item.appendChild(label);
      item.appendChild(document.createTextNode(message.body));
      item.appendChild(time);
      return item;
    }

    function shownIds() {
      return Array.prototype.map.call(thread.querySelectorAll(".bubble"), function (item) {
        return item.getAttribute("data-id");
      });
    }

    function draw(messages) {
      var wanted = messages.map(function (message) { return message.id; });
      if (wanted.join() === shownIds().join() || (!messages.length && !thread.querySelector(".bubble"))) {
        return;
      }
      while (thread.firstChild) {
        thread.removeChild(thread.firstChild);
      }
      messages.forEach(function (message) {
        thread.appendChild(bubble(message));
      });
      thread.scrollTop = thread.scrollHeight;
    }

    function add(messages) {
      var shown = shownIds();
      var empty = thread.querySelector(".empty");
      if (empty) {
        thread.removeChild(empty);
      }
      messages.forEach(function (message) {
        if (message && shown.indexOf(message.id) === -1) {
          thread.appendChild(bubble(message));
        }
      });
      thread.scrollTop = thread.scrollHeight;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = input.value.trim();
      if (!body) {
        input.focus();
        return;
      }
      send(function () {
        return post({body: body}).then(function (data) {
          input.value = "";
          add([data.sent].concat(data.replies));
        });
      });
    });

    // Replies written later (the polite end of an abandoned dialogue, a retried answer) arrive by polling.
    window.setInterval(function () {
      if (busy || document.hidden) {
        return;
      }
      var sendsBefore = sends;
      fetch(messagesUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(readJson)
        .then(function (data) {
          if (sends === sendsBefore && !busy) {
            draw(data.messages);
          }
        })
        .catch(function () { /* the next poll tries again; sending shows any lasting problem */ });
    }, POLL_MS);
    thread.scrollTop = thread.scrollHeight;
  }
}());
