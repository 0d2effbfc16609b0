// Live updates for coop's pages, over Server-Sent Events. The pages work
// without it: this only refreshes figures while a page is open.
(function () {
  if (!window.EventSource) return;

  // A proposal's page: the participation while the vote runs, a reload at
  // the close (the tally and the outcome).
  var el = document.querySelector("[data-live-proposal]");
  if (el) {
    var es = new EventSource("/live/proposals/" + encodeURIComponent(el.getAttribute("data-live-proposal")));
    // A form on its way (the ballot that closes the vote) must not be
    // cut short by a reload: the page it leads to shows the close.
    var leaving = false;
    document.addEventListener("submit", function () { leaving = true; es.close(); });
    var participation = function (e) {
      var d = JSON.parse(e.data);
      var p = document.querySelector("[data-live=participation]");
      if (p && typeof d.participation === "number") {
        p.setAttribute("data-count", d.participation);
        p.textContent = p.getAttribute("data-template").replace("987654321", d.participation);
      }
    };
    // A ballot, or a proxy given or taken back, changes who counts.
    es.addEventListener("ballot_cast", participation);
    es.addEventListener("proxy_changed", participation);
    es.addEventListener("closed", function () {
      es.close();
      if (leaving) return;
      // The page may show the close already (the event can arrive after
      // the page that follows a last ballot). A receipt on the page is
      // shown once: keep it, and say the vote closed with a link to the
      // result instead of reloading.
      var note = document.querySelector("[data-live-closed-note]");
      if (note && note.getAttribute("data-live-closed-note") !== "open") return;
      if (note && document.querySelector(".receipt")) {
        note.hidden = false;
        return;
      }
      window.location.reload();
    });
  }

  // A member's dashboard: when a vote opens or closes or a query runs, the
  // page reads itself again and swaps its live regions (data-live-region,
  // by id), without a reload and without moving the focus.
  if (document.querySelector("[data-live-me]") && window.fetch && window.DOMParser) {
    var busy = false, again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var regions = document.querySelectorAll("[data-live-region]");
          for (var i = 0; i < regions.length; i++) {
            var fresh = doc.getElementById(regions[i].id);
            if (fresh) regions[i].innerHTML = fresh.innerHTML;
          }
          var say = document.querySelector("[data-live-announce]");
          if (say) say.textContent = say.getAttribute("data-live-announce");
          var n = Number(document.body.getAttribute("data-live-refreshes") || 0) + 1;
          document.body.setAttribute("data-live-refreshes", String(n));
        })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    };
    var me = new EventSource("/live/me");
    ["opened", "closed", "query_run"].forEach(function (name) { me.addEventListener(name, refresh); });
  }
})();
