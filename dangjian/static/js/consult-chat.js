// 智能问答: after a question is answered through htmx, clear the box and show the answer.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (form && form.id === "ask" && event.detail.xhr && event.detail.xhr.status < 300) {
    form.reset();
    var latest = document.querySelectorAll("#turns .turn");
    if (latest.length) latest[latest.length - 1].scrollIntoView({ block: "nearest" });
  }
});
// A refused turn (422: an empty or too long question, a suggestion no longer valid) says
// why in the conversation, in Chinese, instead of the generic failure notice at the top of
// the page; so does a rate limit (429), whose page is not a turn and is not swapped in.
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (!target || target.id !== "turns") return;
  var status = event.detail.xhr.status;
  if (status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  } else if (status === 429) {
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    var turn = document.createElement("div");
    turn.className = "card turn turn-error";
    turn.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.className = "error";
    var wait = event.detail.xhr.getResponseHeader("Retry-After");
    text.textContent = "提问过于频繁，请" + (wait ? " " + wait + " 秒" : "稍等") + "后再问。";
    turn.appendChild(text);
    target.appendChild(turn);
    turn.scrollIntoView({ block: "nearest" });
  }
});
