/* 12371 agent console and live chat: canned replies (into the reply or the chat box),
   KB answers into the reply box, chat polling from the last message seen, typing on both
   sides. No inline scripts (CSP). */
(function () {
  "use strict";
  function insert(text, target) {
    var box = document.getElementById(target || "reply-text");
    if (!box || !text) return;
    box.value = box.value ? box.value + "\n" + text : text;
    box.focus();
  }
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-canned-target]");
    if (select && select.value) {
      insert(select.value, select.getAttribute("data-canned-target"));
      select.value = "";
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-reply]");
    if (!button) return;
    // Beside a live chat the answer goes into the chat box, in the console the reply box.
    var pane = button.closest("[data-insert-target]");
    insert(button.getAttribute("data-insert-reply"), pane && pane.getAttribute("data-insert-target"));
  });
  // Live chat: poll only for turns after the last one shown, telling the server the state
  // the controls were drawn for (it re-sends them when the state changed).
  function lastId(log) {
    var items = log.querySelectorAll("li[data-id]");
    return items.length ? items[items.length - 1].getAttribute("data-id") : 0;
  }
  function scrollDown() {
    var log = document.getElementById("chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var log = document.getElementById("chat-log");
    if (!log || event.detail.elt !== log) return;
    event.detail.parameters.after = lastId(log);
    var status = document.getElementById("chat-status");
    if (status) event.detail.parameters.state = status.getAttribute("data-state") || "";
  });
  // A turn sent while a poll was under way may arrive twice: keep the first.
  document.addEventListener("htmx:afterSettle", function () {
    var log = document.getElementById("chat-log");
    if (!log) return;
    var seen = {};
    log.querySelectorAll("li[data-id]").forEach(function (item) {
      var id = item.getAttribute("data-id");
      if (seen[id]) item.remove();
      seen[id] = true;
    });
    scrollDown();
  });
  // A refused turn (422: empty, too long, the chat has ended) says why in the log; so does
  // a rate limit (429: its page is not a turn, so the log gets a line instead). The text
  // typed stays in the box to send again.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;  // elt: the log
    if (!form || !form.classList.contains("chat-form")) return;
    var status = event.detail.xhr.status;
    if (status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status === 429) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      var wait = event.detail.xhr.getResponseHeader("Retry-After");
      var item = document.createElement("li");
      item.className = "error";
      item.setAttribute("role", "alert");
      item.textContent = "发送过于频繁，请" + (wait ? " " + wait + " 秒" : "稍等") + "后再发。";
      event.detail.target.appendChild(item);
      scrollDown();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var sent = event.detail.xhr && event.detail.xhr.status < 300;
    if (form.classList && form.classList.contains("chat-form") && sent) {
      form.reset();
      var box = form.querySelector("textarea");
      if (box) box.focus();
    }
  });
  document.addEventListener("DOMContentLoaded", scrollDown);
  // Ctrl+Enter (or Cmd+Enter) sends; Enter alone starts a new line.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (box.id !== "chat-text" || event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    if (box.value.trim()) box.form.requestSubmit();
  });
  // Keystrokes tell the other side 正在输入… (at most once every 3 s).
  var lastTyping = 0;
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-typing-url]");
    if (!form || Date.now() - lastTyping < 3000) return;
    lastTyping = Date.now();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.getAttribute("data-typing-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    });
  });
})();
