// motcua console: follow the server's pushes (server-sent events) and keep "how long" texts ticking.
// EventSource reconnects by itself; if it gives up (the console answered with an error while
// restarting) we open a new one. No framework, nothing from the internet.
(function () {
  "use strict";
  var lang = document.body.dataset.lang || "vi";
  var lost = document.getElementById("lost");

  function duration(s) {
    s = Math.max(0, Math.floor(s));
    var m = Math.floor(s / 60), h = Math.floor(m / 60);
    m = m % 60;
    if (lang === "vi") return h ? h + " giờ " + m + " phút" : m ? m + " phút" : s + " giây";
    return h ? h + " h " + m + " min" : m ? m + " min" : s + " s";
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var t = parseFloat(el.dataset.since);
      if (!isNaN(t)) el.textContent = duration(now - t);
    });
  }

  function apply(update) {
    Object.keys(update).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.innerHTML = update[id];   // fragments rendered and escaped by the server
    });
    tick();
    document.dispatchEvent(new CustomEvent("motcua:update", {detail: update}));
  }

  function connect() {
    var src = new EventSource(document.body.dataset.live);
    src.addEventListener("update", function (e) {
      lost.hidden = true;
      apply(JSON.parse(e.data));
    });
    src.addEventListener("end", function () {   // the session ended: the page asks for the login
      src.close();
      window.location.reload();
    });
    src.onopen = function () { lost.hidden = true; };
    src.onerror = function () {
      lost.hidden = false;
      if (src.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  if (document.body.dataset.live) connect();
  setInterval(tick, 1000);
  tick();
})();
