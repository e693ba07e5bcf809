/* The month screen's small helpers (no framework, no build step):
 * 1. 全选: a checkbox with data-select-all="ID" ticks every checkbox in #ID (or bound to it).
 * 2. After a save the page comes back with ?open=KIND: the cursor goes back to that form's first
 *    field and the saved entry is scrolled into view.
 * 3. Nothing typed is lost: a form marked .keep-draft is copied to localStorage as it is typed
 *    and on submit. If the POST never reaches the server (connection dropped, session expired),
 *    the next visit puts the content back, one-time key included, so sending it again saves it
 *    once. The copy is dropped when the server confirms the save or shows the form with errors
 *    (then the server already kept what was typed).
 */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var opened = params.get("open");

  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var id = box.getAttribute("data-select-all");
      var scope = document.getElementById(id);
      var boxes = scope ? scope.querySelectorAll("input[type=checkbox]") : [];
      if (!boxes.length) {
        boxes = document.querySelectorAll('input[type=checkbox][form="approve-form"]');
      }
      boxes.forEach(function (other) {
        if (other !== box && !other.disabled) other.checked = box.checked;
      });
    });
  });

  function storageKey(form) {
    return "lanxian-draft:" + form.getAttribute("data-draft");
  }

  function snapshot(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) (data[el.name] = data[el.name] || []).push(el.value);
      } else {
        data[el.name] = [el.value];
      }
    });
    return data;
  }

  function restore(form, data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in data) || el.type === "file") return;
      var values = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values[0];
      }
    });
  }

  document.querySelectorAll("form.keep-draft").forEach(function (form) {
    var key = storageKey(form);
    var kind = form.getAttribute("data-draft").split("-")[0];
    var hasErrors = form.querySelector(".error, .form-errors");
    try {
      if (opened === kind || hasErrors) {
        window.localStorage.removeItem(key);
      } else {
        var saved = window.localStorage.getItem(key);
        if (saved) {
          restore(form, JSON.parse(saved));
          var details = form.closest("details");
          if (details) details.open = true;
          var note = document.createElement("p");
          note.className = "draft-note";
          note.setAttribute("role", "status");
          note.textContent = "已恢复上次没有保存成功的内容，请核对后重新提交（不会重复保存）。";
          form.insertBefore(note, form.firstChild);
        }
      }
    } catch (e) {
      /* private mode or a full storage: the form still works, only without the copy */
    }
    function keep() {
      try {
        window.localStorage.setItem(key, JSON.stringify(snapshot(form)));
      } catch (e) {}
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", keep);
  });

  if (opened) {
    var section = document.getElementById("entry-" + opened);
    if (section) {
      var first = section.querySelector("form input:not([type=hidden]), form select, form textarea");
      if (first) first.focus({ preventScroll: true });
    }
    if (section) section.scrollIntoView({ block: "start" });
  }
})();
