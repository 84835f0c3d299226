// moviegen's live page: the project's events (a WebSocket to /p/SLUG/live) refresh the parts of the
// page that show what changed, within a fraction of a second of the change; presence shows who else is here.
(function () {
  "use strict";
  var slug = document.body.dataset.project;
  if (!slug || !window.WebSocket) return;

  function matches(el, kind) {
    return (el.dataset.live || "").split(" ").some(function (p) { return p && kind.indexOf(p) === 0; });
  }

  function refresh(el) {  // one request at a time per part; an event meanwhile asks for one more
    if (el._busy) { el._again = true; return; }
    el._busy = true;
    var swap = el.classList.contains("comments") ? "outerHTML" : "innerHTML";
    htmx.ajax("GET", el.dataset.src, { target: el, swap: swap }).finally(function () {
      el._busy = false;
      if (el._again) { el._again = false; refresh(el); }
    });
  }

  function progress(ev) {  // a render's stage moved: move its bar without a round trip
    var bar = document.querySelector('[data-job="' + ev.job + '"] [data-stage="' + ev.stage + '"] progress');
    if (!bar) return false;
    bar.max = ev.total || 1; bar.value = ev.done;
    bar.nextElementSibling.textContent = ev.done + "/" + ev.total;
    return true;
  }

  function presence(viewers) {
    var box = document.getElementById("presence");
    if (!box) return;
    box.replaceChildren.apply(box, viewers.map(function (v) {
      var s = document.createElement("span"); s.className = "who"; s.textContent = v; return s;
    }));
    box.dataset.count = viewers.length;
  }

  function note(ev) {
    var box = document.getElementById("live-note");
    if (box) box.textContent = ev.kind.replace(".", " ") + (ev.name ? " · " + ev.name : "") + (ev.shot ? " · shot " + ev.shot : "");
    var editor = document.getElementById("editor");
    if (editor && editor.open && /^(story|screenplay)\.updated$/.test(ev.kind)) {
      var n = document.getElementById("save-note") || editor.querySelector(".row").appendChild(document.createElement("span"));
      n.id = "save-note"; n.className = "warn";
      n.textContent = "someone saved a newer version: your save merges by scene, or says where you both edited";
    }
  }

  var socket = null, leaving = false;
  function connect() {  // and again a second after the brain closed it (a restart), until the page goes
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/p/" +
                           encodeURIComponent(slug) + "/live");
    socket.onmessage = function (msg) {
      var ev = JSON.parse(msg.data);
      if (ev.kind === "presence") { presence(ev.viewers); return; }
      note(ev);
      if (ev.kind === "job.progress" && progress(ev)) return;
      document.querySelectorAll("[data-live]").forEach(function (el) { if (matches(el, ev.kind)) refresh(el); });
      document.body.dispatchEvent(new CustomEvent("mg:event", { detail: ev }));
    };
    socket.onclose = function (ev) { if (!leaving && ev.code !== 4403) setTimeout(connect, 1000); };
  }
  connect();
  window.addEventListener("pagehide", function () { leaving = true; socket.close(); });
})();
