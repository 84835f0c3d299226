// moviegen's live page: the project's events (a WebSocket to /p/SLUG/live) refresh the parts of the
// page that show what changed, within a fraction of a second of the change; presence shows who else is here.
// The page tells the socket which live parts it shows; the brain sends each one's new HTML after an event that
// touches it (rendered once for every page alike), so no page has to fetch it. A part sent without HTML (the
// brain could not render it) is fetched as before.
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

  function swapIn(el, html) {
    htmx.swap(el, html, { swapStyle: el.classList.contains("comments") ? "outerHTML" : "innerHTML" });
  }

  var announced = null;
  function announce() {  // the live parts this page shows, whenever they change (a lazy part loaded, a swap)
    if (!socket || socket.readyState !== 1) return;
    var parts = Array.prototype.map.call(document.querySelectorAll("[data-live][id]"), function (el) {
      return { id: el.id, src: el.dataset.src, live: el.dataset.live };
    });
    var text = JSON.stringify({ parts: parts });
    if (text !== announced) { announced = text; socket.send(text); }
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
    socket.onopen = function () { announced = null; announce(); };
    socket.onmessage = function (msg) {
      var ev = JSON.parse(msg.data);
      if (ev.kind === "presence") { presence(ev.viewers); return; }
      if (ev.kind === "part") {
        var el = document.getElementById(ev.id);
        if (el) { if (typeof ev.html === "string") { swapIn(el, ev.html); announce(); } else refresh(el); }
        return;
      }
      note(ev);
      if (ev.kind === "job.progress" && !progress(ev)) {  // a stage the page does not show yet
        document.querySelectorAll("[data-live]").forEach(function (el) { if (matches(el, ev.kind)) refresh(el); });
      }
      document.querySelectorAll("[data-live]:not([id])").forEach(function (el) { if (matches(el, ev.kind)) refresh(el); });
      document.body.dispatchEvent(new CustomEvent("mg:event", { detail: ev }));
    };
    socket.onclose = function (ev) { if (!leaving && ev.code !== 4403) setTimeout(connect, 1000); };
  }
  connect();
  document.body.addEventListener("htmx:afterSettle", announce);
  window.addEventListener("pagehide", function () { leaving = true; socket.close(); });
})();
