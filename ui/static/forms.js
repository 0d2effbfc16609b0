// Small helps on forms; every page works without them.
//  - [data-copy="ID"]: a button that copies the text of #ID (a vote's
//    receipt), then says so in the [data-copy-status] next to it.
//  - form[data-pool-form]: a query form whose fields belong to the pool
//    chosen first; the other pools' fields are hidden and disabled when
//    the pool changes (without the script, the form asks for the pool in
//    a first step).
//  - form[data-field-types]: the operators' pool form shows, for each
//    field, the inputs of its type only.
(function () {
  "use strict";

  var copyText = function (text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
      return;
    }
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

  var poolForms = document.querySelectorAll("form[data-pool-form]");
  for (var p = 0; p < poolForms.length; p++) {
    var pool = poolForms[p].querySelector("select[data-pool-select]");
    if (pool) follow(pool, poolForms[p]);
    var step = poolForms[p].querySelector("[data-pool-step]");
    if (step) step.hidden = true;
  }

  var fieldForms = document.querySelectorAll("form[data-field-types] [data-field]");
  for (var f = 0; f < fieldForms.length; f++) {
    var type = fieldForms[f].querySelector("select[data-field-type]");
    if (type) follow(type, fieldForms[f]);
  }
})();
