// debrief's page: keyboard shortcuts and the hold's countdown. Everything here is also a
// link or a button; the page works without this file.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) { link.focus(); link.click(); return true; }
    return false;
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var done = false;
    switch (event.key) {
      case "j": done = follow("next"); break;
      case "k": done = follow("prev"); break;
      case "a": done = submit("approve-form"); break;
      case "e": done = follow("edit"); break;
      case "x": done = submit("reject-form"); break;
      case "?":
        var help = document.getElementById("help");
        if (help) { help.hidden = !help.hidden; done = true; }
        break;
      case "Escape":
        var shown = document.getElementById("help");
        if (shown && !shown.hidden) { shown.hidden = true; done = true; }
        break;
    }
    if (done) event.preventDefault();
  });

  // The hold is kept by the server; this only counts down what the page was given and
  // reloads when it is over, so the page shows the state the database has.
  var counters = document.querySelectorAll(".countdown");
  if (counters.length) {
    var timer = setInterval(function () {
      var over = false;
      counters.forEach(function (counter) {
        var left = parseInt(counter.getAttribute("data-seconds"), 10) - 1;
        counter.setAttribute("data-seconds", String(left));
        counter.textContent = String(Math.max(left, 0));
        if (left <= 0) over = true;
      });
      if (over) { clearInterval(timer); window.location.reload(); }
    }, 1000);
  }
})();
