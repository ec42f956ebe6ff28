// the phone page follows its ticket (server-sent events); the phone vibrates once when it is called
(function () {
  "use strict";
  var lost = document.getElementById("lost");
  var wasCalled = !!document.getElementById("called");
  var wait = 3000;
  function connect() {
    var src = new EventSource(document.body.dataset.live);
    src.addEventListener("update", function (e) {
      lost.hidden = true;
      var d = JSON.parse(e.data);
      if (d.live !== undefined) document.getElementById("live").innerHTML = d.live;
      var called = !!document.getElementById("called");
      if (called && !wasCalled && navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
      wasCalled = called;
    });
    src.addEventListener("end", function () { src.close(); });   // the ticket is finished: nothing more to follow
    src.onopen = function () { wait = 3000; };
    src.onerror = function () {
      lost.hidden = false;
      if (src.readyState === EventSource.CLOSED) {   // refused (not today, too many pages): try again, less often
        setTimeout(connect, wait);
        wait = Math.min(wait * 2, 60000);
      }
    };
  }
  connect();
})();
