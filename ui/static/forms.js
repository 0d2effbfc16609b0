// Small helps on forms; every page works without them.
//  - [data-copy="ID"]: a button that copies the text of #ID (a vote's
//    receipt), then says so in the [data-copy-status] next to it.
//  - form[data-pool-form]: a query form whose fields belong to the pool
//    chosen first; they follow the pool when it changes (without the
//    script, the form's step button asks for them).
//  - form[data-field-types]: the operators' pool form shows, for each
//    field, the inputs of its type only.
(function () {
  "use strict";

  var copyText = function (text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        copyBySelection(text, done);
      });
      return;
    }
    copyBySelection(text, done);
  };

  // copyBySelection copies through a selected, off-screen text area: for
  // pages served without TLS, or a browser that refuses the clipboard.
  var copyBySelection = function (text, done) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try {
      if (document.execCommand("copy")) done();
    } catch (e) {}
    document.body.removeChild(area);
  };

  var buttons = document.querySelectorAll("[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(source.textContent.trim(), function () {
          var box = button.parentNode.querySelector("[data-copy-status]");
          if (box) box.textContent = button.getAttribute("data-copied");
          document.body.setAttribute("data-copied", "yes");
        });
      });
    })(buttons[i]);
  }

  // A query form: when the pool changes, its fields come from the page
  // itself asked for that pool (GET data-fields-url?pool=ID), without a
  // reload; the step button is then not needed.
  var poolForms = document.querySelectorAll("form[data-pool-form]");
  for (var p = 0; p < poolForms.length; p++) {
    (function (form) {
      var select = form.querySelector("select[data-pool-select]");
      var box = form.querySelector("[data-pool-fields]");
      var step = form.querySelector("[data-pool-step]");
      if (!select || !box || !window.fetch || !window.DOMParser) return;
      if (step) step.hidden = true;
      select.addEventListener("change", function () {
        var url = form.getAttribute("data-fields-url") + "?pool=" + encodeURIComponent(select.value);
        fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
          .then(function (r) {
            if (!r.ok) throw new Error(String(r.status));
            return r.text();
          })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-pool-fields]");
            if (!fresh) throw new Error("no fields");
            box.innerHTML = fresh.innerHTML;
            document.body.setAttribute("data-pool-fields", select.value);
          })
          .catch(function () {
            if (step) step.hidden = false;
          });
      });
    })(poolForms[p]);
  }

  // Show the parts of a form that belong to the chosen value of a select:
  // [data-show-for="VALUE"] inside scope, for the select's value.
  var follow = function (select, scope) {
    var apply = function () {
      var parts = scope.querySelectorAll("[data-show-for]");
      for (var j = 0; j < parts.length; j++) {
        var on = parts[j].getAttribute("data-show-for").split(" ").indexOf(select.value) >= 0;
        parts[j].hidden = !on;
        var inputs = parts[j].querySelectorAll("input, select, textarea");
        for (var k = 0; k < inputs.length; k++) inputs[k].disabled = !on;
      }
    };
    select.addEventListener("change", apply);
    apply();
  };

  var fieldForms = document.querySelectorAll("form[data-field-types] [data-field]");
  for (var f = 0; f < fieldForms.length; f++) {
    var type = fieldForms[f].querySelector("select[data-field-type]");
    if (type) follow(type, fieldForms[f]);
  }
})();
