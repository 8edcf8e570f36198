/* Small helps on the staff pages; every page works without them (old phones, scripts off). */
(function () {
  "use strict";

  // -- A link to a folded section (or to a field inside one) opens it; a field it leads to gets the focus. ---------
  function openTarget() {
    var target = null;
    try {
      target = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    } catch (e) { /* a malformed link: nothing to open */ }
    if (!target) {
      return;
    }
    var fold = target.tagName === "SECTION" ? target.querySelector("details.fold") : target.closest("details");
    for (var box = fold; box; box = box.parentElement && box.parentElement.closest("details")) {
      box.open = true;
    }
    if (/^(TEXTAREA|INPUT|SELECT)$/.test(target.tagName)) {
      target.focus();
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // -- A form's error: in view and focused, for browsers that ignore autofocus on a paragraph. --------------------
  var failed = document.querySelector("[data-focus]");
  if (failed) {
    var folded = failed.closest("details");
    if (folded) {
      folded.open = true;
    }
    if (document.activeElement !== failed) {
      failed.focus();
    }
  }

  // -- Drafts: what was typed in a text box outlives an expired session, in this tab only. ------------------------
  // Kept in sessionStorage (gone when the tab closes, never sent anywhere): a note about a child must not stay on a
  // shared computer. A form being sent moves its drafts aside; the page that answers keeps them (the login page, a
  // refusal, a confirmation) or lets them go (the form was accepted).
  var store = null;
  try {
    store = window.sessionStorage;
    store.setItem("relais.probe", "1");
    store.removeItem("relais.probe");
  } catch (e) {
    store = null; // private mode or storage refused: no drafts, nothing else changes
  }
  var PREFIX = "relais.draft:";
  var user = document.body.dataset.user || "";
  var SENT = "relais.sent";
  var MAX_AGE_MS = 12 * 3600 * 1000;

  function draftKey(field) {
    var form = field.form;
    var action = new URL(form.getAttribute("action") || location.pathname, location.href).pathname;
    // The box's id where it has one: two forms may post the same field to the same address.
    return PREFIX + action + "|" + (field.id || field.name);
  }

  function draftFields() {
    return Array.prototype.filter.call(document.querySelectorAll("form textarea[name]"), function (field) {
      return (field.form.method || "").toLowerCase() === "post";
    });
  }

  function keepsDrafts() {
    // The login page (the session had expired), a refusal shown next to its form, a confirmation still to give.
    return document.querySelector("#login-form, [data-focus], [data-keeps-drafts], form.confirm") !== null;
  }

  if (store) {
    var sent = store.getItem(SENT);
    store.removeItem(SENT);
    if (sent && keepsDrafts()) {
      try {
        var kept = JSON.parse(sent);
        Object.keys(kept.drafts).forEach(function (key) { store.setItem(key, kept.drafts[key]); });
        // After logging in again, back to the page the form was on (the server checks it is one of this site's).
        var login = document.getElementById("login-form");
        if (login && kept.page) {
          var target = new URL(login.getAttribute("action"), location.href);
          if (!target.searchParams.get("next")) {
            target.searchParams.set("next", kept.page);
            login.setAttribute("action", target.pathname + target.search);
          }
        }
        store.setItem(SENT, sent); // the login page itself is sent next: keep the record for the page after it
      } catch (e) { /* a damaged record: nothing to put back */ }
    }

    var restored = false;
    draftFields().forEach(function (field) {
      var key = draftKey(field);
      var saved = store.getItem(key);
      if (saved) {
        try {
          var draft = JSON.parse(saved);
          if (draft.user !== user) {
            store.removeItem(key); // someone else's words: never shown to the next person in this tab
          } else if (Date.now() - draft.at < MAX_AGE_MS && draft.text && !field.value) {
            field.value = draft.text;
            restored = true;
          }
        } catch (e) { store.removeItem(key); }
      }
      field.addEventListener("input", function () {
        if (field.value) {
          store.setItem(key, JSON.stringify({at: Date.now(), text: field.value, user: user}));
        } else {
          store.removeItem(key);
        }
      });
    });
    if (restored && document.body.dataset.restoredText) {
      var note = document.createElement("p");
      note.className = "restored";
      note.setAttribute("role", "status");
      note.textContent = document.body.dataset.restoredText;
      var main = document.getElementById("main");
      main.insertBefore(note, main.firstChild);
    }

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.hasAttribute("data-forget-drafts")) {
        store.clear(); // logging out: nothing typed stays behind
        return;
      }
      // The drafts written for this form's action, from this page or from the page a confirmation came from.
      var action = new URL(form.getAttribute("action") || location.pathname, location.href).pathname;
      var moving = {};
      for (var i = store.length - 1; i >= 0; i--) {
        var key = store.key(i);
        if (key && key.indexOf(PREFIX) === 0 && key.slice(PREFIX.length).split("|")[0] === action) {
          moving[key] = store.getItem(key);
          store.removeItem(key);
        }
      }
      if (Object.keys(moving).length) {
        store.setItem(SENT, JSON.stringify({page: document.body.dataset.page || "", drafts: moving}));
      }
    });
  }

  // -- The best matches for a family's requests, without reloading the report page. -------------------------------
  var needs = document.getElementById("needs");
  var workers = document.getElementById("workers");
  if (needs && workers && needs.dataset.matches && window.fetch && window.URLSearchParams && window.FormData) {
    var accept = workers.closest("form");
    var refresh = function () {
      var params = new URLSearchParams(new FormData(needs));
      var chosen = accept.querySelector("input[name=assigned_to_id]:checked");
      if (chosen) {
        params.set("assigned_to_id", chosen.value);
      }
      fetch(needs.dataset.matches + "?" + params.toString(), {credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok || response.redirected) {
            throw new Error("no matches");
          }
          return response.text();
        })
        .then(function (html) {
          workers.innerHTML = html;
          accept.elements.wants_female_worker.value = params.get("wants_female_worker") || "";
          accept.elements.family_language.value = params.get("family_language") || "";
        })
        .catch(function () {
          needs.submit(); // the page's own way: a reload with the requests
        });
    };
    needs.addEventListener("change", refresh);
    needs.addEventListener("submit", function (event) {
      event.preventDefault();
      refresh();
    });
  }
})();
