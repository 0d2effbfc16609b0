// Live updates for coop's pages, over Server-Sent Events. The pages work
// without it: this only refreshes figures while a page is open.
(function () {
  var el = document.querySelector("[data-live-proposal]");
  if (!el || !window.EventSource) return;
  var es = new EventSource("/live/proposals/" + encodeURIComponent(el.getAttribute("data-live-proposal")));
  es.addEventListener("ballot_cast", function (e) {
    var d = JSON.parse(e.data);
    var p = document.querySelector("[data-live=participation]");
    if (p && typeof d.participation === "number") {
      p.setAttribute("data-count", d.participation);
      p.textContent = p.getAttribute("data-template").replace("987654321", d.participation);
    }
  });
  es.addEventListener("closed", function () {
    es.close();
    window.location.reload();
  });
})();
