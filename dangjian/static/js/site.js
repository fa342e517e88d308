/* 智慧党建 — the little behaviour the pages need beyond htmx. No inline scripts (CSP). */
(function () {
  "use strict";
  // A failed htmx request (403, 404, 500, offline) must say so instead of doing nothing.
  function notify(text) {
    var main = document.getElementById("main");
    if (!main) return;
    var box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "htmx-error";
      box.className = "errors";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) notify("您没有权限执行此操作。");
    else if (status === 404) notify("未找到，或不在您的查看范围内。");
    else if (status === 429) notify("操作过于频繁，请稍后再试。");
    else notify("操作失败，请稍后再试。");
  });
  document.addEventListener("htmx:sendError", function () {
    notify("网络连接失败，请检查网络后再试。");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("htmx-error");
    if (box) box.remove();
  });
  // Submitting a form with data-confirm asks first (dissolving an organisation).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute && form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) event.preventDefault();
  }, true);
  // A page drawn in answer to a form posted elsewhere (a refused 转接, a rating with an
  // error) names the page it is: the address bar shows that one, so a reload or
  // 大字模式 returns to the page instead of to the form's address (a 405 on GET).
  var here = document.querySelector('meta[name="here"]');
  if (here && window.history.replaceState) {
    var target = here.getAttribute("content");
    if (target && target !== location.pathname + location.search) {
      window.history.replaceState(null, "", target + location.hash);
    }
  }
  // 大字模式/标准模式 returns to the address shown now: a page updated by htmx may have
  // replaced it since it was drawn (the bot's chat adds its conversation, ?c=…).
  document.addEventListener("submit", function (event) {
    var next = event.target.querySelector && event.target.querySelector("input[data-here]");
    if (next) next.value = location.pathname + location.search + location.hash;
  });
  // The bottom bar's 更多 menu closes on a tap elsewhere or Escape.
  function closeMore(except) {
    var open = document.querySelectorAll("details.tab-more[open]");
    for (var i = 0; i < open.length; i++) if (open[i] !== except) open[i].removeAttribute("open");
  }
  document.addEventListener("click", function (event) {
    closeMore(event.target.closest ? event.target.closest("details.tab-more") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMore(null);
  });
})();
