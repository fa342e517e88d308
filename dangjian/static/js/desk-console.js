/* 12371 agent console: keyboard shortcuts over the queue and the current case, and the
   queue's highlight kept on the open case across polls. No inline scripts (CSP).

   j / k  next / previous order in the queue (opened beside it)   Enter  open the selected
   c      claim the current case          r  write the reply (Ctrl+Enter sends)
   b      knowledge-base search           /  search the queue        n  log a call
   ?      show or hide the help           Esc  leave a field / close the help
   Letters never fire while typing in a field (except the empty number field the call form
   opens with), with a modifier held, or while an input method composes (Chinese input). */
(function () {
  "use strict";
  var root = document.querySelector("[data-console]");
  if (!root) return;

  var wide = window.matchMedia("(min-width: 1024px)");
  // On a desktop the call form (when no case is open) waits with the cursor in its first
  // field; on a phone nothing is focused, so the page opens on the queue.
  var phoneField = document.getElementById("id_phone");
  if (phoneField && wide.matches && !document.querySelector("[data-case]")) phoneField.focus();

  // The filters stand open on a desktop; on a phone they fold under the search box.
  var filters = document.querySelector("[data-filters]");
  if (filters && wide.matches) filters.open = true;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue] > li[data-order]"));
  }
  function currentId() {
    var field = document.getElementById("queue-current");
    return field ? field.value : "";
  }
  function mark(id) {
    var field = document.getElementById("queue-current");
    if (field) field.value = id || "";
    items().forEach(function (li) {
      var on = li.getAttribute("data-order") === String(id);
      li.classList.toggle("is-current", on);
      var link = li.querySelector(".queue-link");
      if (link) {
        if (on) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      }
    });
  }
  function open(li) {
    if (!li) return;
    var link = li.querySelector(".queue-link");
    mark(li.getAttribute("data-order"));
    li.scrollIntoView({block: "nearest"});
    if (link) {
      link.focus({preventScroll: true});
      link.click();
    }
  }
  function move(step) {
    var list = items();
    if (!list.length) return;
    var id = currentId();
    var index = -1;
    for (var i = 0; i < list.length; i++) if (list[i].getAttribute("data-order") === id) index = i;
    var next = index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
    if (next !== index) open(list[next]);
  }
  // The call form's number field waits with the cursor on a desktop: while it is empty, a
  // shortcut's key (no digit of a number) still acts, so j works at once on a fresh console.
  var SHORTCUT_KEYS = ["j", "k", "c", "r", "b", "/", "n", "?"];
  function typing(target, key) {
    if (!target || !target.closest) return false;
    if (target === phoneField && !phoneField.value && SHORTCUT_KEYS.indexOf(key) >= 0) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }
  function focus(el) {
    if (!el) return false;
    el.scrollIntoView({block: "center"});
    el.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) return;
    var target = event.target;
    if (event.key === "Escape") {
      var help = document.getElementById("shortcut-help");
      if (help && help.open) help.open = false;
      if (typing(target)) target.blur();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.id === "reply-text") {
      var form = target.closest("form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target, event.key)) return;
    var done = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter":
        if (target.closest && target.closest("a, button, summary")) { done = false; break; }
        open(items().filter(function (li) { return li.getAttribute("data-order") === currentId(); })[0]);
        break;
      case "c":
        var claim = document.querySelector("#case-pane [data-shortcut='c']");
        if (claim) claim.click(); else done = false;
        break;
      case "r": done = focus(document.getElementById("reply-text")); break;
      case "b": done = focus(document.getElementById("kb-q")); break;
      case "/": done = focus(document.querySelector("[data-shortcut='/']")); break;
      case "n":
        var phone = document.getElementById("id_phone");
        if (phone) focus(phone);
        else window.location.href = document.querySelector("[data-shortcut='n']").href;
        break;
      case "?":
        var details = document.getElementById("shortcut-help");
        if (details) details.open = !details.open;
        break;
      default: done = false;
    }
    if (done) event.preventDefault();
  });

  // A case opened by a click (or a key) is the queue's current one; on a phone the case
  // sits below the queue, so it is brought into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "case-pane") {
      var card = target.querySelector("[data-case]");
      if (card) mark(card.getAttribute("data-case"));
      if (!wide.matches) target.scrollIntoView({block: "start"});
    } else if (target.id === "queue") {
      mark(currentId());
    }
  });
})();
