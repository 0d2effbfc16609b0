// The CSV upload of the records page, with a progress bar. Without this
// script the form posts as usual; with it, the file goes by
// XMLHttpRequest, the bar follows the bytes sent, and the answer (the
// records with their notice, or the list of bad rows) replaces the page's
// main content without a reload.
(function () {
  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;

  var swapMain = function (html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main) return false;
    main.innerHTML = fresh.innerHTML;
    document.title = doc.title;
    bind(); // the new forms
    var focus = main.querySelector("[role=alert], [role=status]");
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
    return true;
  };

  var send = function (form, e) {
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    if (!bar) return;
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/html");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      document.body.setAttribute("data-upload-progress", "100");
    });
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0 && swapMain(xhr.responseText)) {
        if (xhr.responseURL && xhr.status < 300) history.replaceState(null, "", xhr.responseURL);
        return;
      }
      form.submit(); // not a page: let the browser show what it is
    });
    xhr.addEventListener("error", function () {
      if (button) button.disabled = false;
      box.hidden = true;
      form.submit();
    });
    xhr.send(new FormData(form));
  };

  var bind = function () {
    var forms = document.querySelectorAll("form[data-upload]");
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        form.addEventListener("submit", function (e) { send(form, e); });
      })(forms[i]);
    }
  };
  bind();
})();
