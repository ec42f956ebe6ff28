// motcua counter panel: one press is one command. The command_id is made when the button is
// pressed; presses while one is on its way are the same press; a request that got no answer is
// sent again with the same id, so the hub acts once. Keys: the letter shown on each button.
(function () {
  "use strict";
  var said = document.getElementById("said");
  var panel = document.querySelector(".panel");
  var busy = false;

  function newId() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);   // randomUUID needs https; the hall's LAN may be plain http
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function show(text, good) {
    said.textContent = text || "";
    said.hidden = !text;
    said.className = "banner " + (good ? "good" : "bad");
  }

  function setBusy(on) {
    busy = on;
    panel.classList.toggle("busy", on);
  }

  function send(form, body, tries) {
    // getAttribute: the form has a field named "action", which shadows form.action
    fetch(form.getAttribute("action"), {method: "POST", body: body, credentials: "same-origin", headers: {"X-Motcua": "fetch"}})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        setBusy(false);
        if (j.ok && j.rated) show(panel.dataset.rated, true);
        else show(j.ok ? "" : j.text, false);
      })
      .catch(function () {
        if (tries > 1) { setTimeout(function () { send(form, body, tries - 1); }, 700); return; }
        setBusy(false);
        show(document.getElementById("lost").textContent, false);
      });
  }

  document.querySelectorAll("form.act").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (busy) return;
      setBusy(true);
      var data = new URLSearchParams(new FormData(form));
      data.set("command_id", newId());
      send(form, data, 3);
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.repeat || e.ctrlKey || e.altKey || e.metaKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var button = document.querySelector('button[data-key="' + e.key.toUpperCase() + '"]');
    if (!button) return;
    e.preventDefault();
    var field = button.form.querySelector("select, input[name=ticket]");
    if (field) field.focus();          // TRANSFER and CALL need a service or a number first
    else button.form.requestSubmit(button);
  });
})();
