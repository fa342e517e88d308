/* 12371 agent console and live chat: canned replies, KB answers into the reply box,
   chat polling from the last message seen. No inline scripts (CSP). */
(function () {
  "use strict";
  function insert(text) {
    var box = document.getElementById("reply-text");
    if (!box || !text) return;
    box.value = box.value ? box.value + "\n" + text : text;
    box.focus();
  }
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-canned-target]");
    if (select && select.value) {
      insert(select.value);
      select.value = "";
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-reply]");
    if (button) insert(button.getAttribute("data-insert-reply"));
  });
  // Live chat: poll only for turns after the last one shown; clear the box after sending.
  document.addEventListener("htmx:configRequest", function (event) {
    var log = document.getElementById("chat-log");
    if (!log || event.detail.elt !== log) return;
    var items = log.querySelectorAll("li[data-id]");
    event.detail.parameters.after = items.length ? items[items.length - 1].getAttribute("data-id") : 0;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.classList && event.detail.elt.classList.contains("chat-form") && event.detail.successful) {
      event.detail.elt.reset();
    }
  });
})();
