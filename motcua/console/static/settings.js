// The settings pages' live SMS preview (SPEC 12.1): each template box asks the console how the text is sent
// (folded without diacritics unless the centre sends Unicode) and in how many SMS parts. No framework, no CDN.
(function () {
  "use strict";
  var form = document.getElementById("settings-form");
  if (!form) { return; }
  var vi = document.body.getAttribute("data-lang") === "vi";
  var token = form.querySelector("input[name=csrf]").value;

  function show(box, out) {
    var body = new FormData();
    body.append("csrf", token);
    body.append("template", box.value || box.placeholder);
    fetch("/settings/sms-preview", {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.status === 200 || r.status === 400 ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        var bad = p.problems && p.problems.length;
        out.textContent = bad ? p.problems.join("; ") : (vi ? p.parts + " tin: " : p.parts + " part(s): ") + p.text;
        out.classList.toggle("bad", !!bad);
      })
      .catch(function () {
        out.textContent = vi ? "Chưa xem trước được." : "No preview now.";
        out.classList.add("bad");
      });
  }

  // "Nghe thử": the sample call says the phrase as typed, before it is saved
  Array.prototype.forEach.call(form.querySelectorAll("audio[data-sample]"), function (audio) {
    var phrase = form.querySelector("input[name='" + audio.getAttribute("data-phrase") + "']");
    if (!phrase) { return; }
    phrase.addEventListener("change", function () {
      audio.src = audio.getAttribute("data-sample") + "?phrase=" + encodeURIComponent(phrase.value);
    });
  });

  Array.prototype.forEach.call(form.querySelectorAll("textarea[data-preview]"), function (box) {
    var out = box.parentNode.querySelector("output.preview");
    var timer = null;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { show(box, out); }, 300);
    });
    box.addEventListener("focus", function () { if (!out.textContent) { show(box, out); } });
  });
})();
