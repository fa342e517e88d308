// 智能问答: after a question is answered through htmx, clear the box and show the answer.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (form && form.id === "ask" && event.detail.xhr && event.detail.xhr.status < 300) {
    form.reset();
    var latest = document.querySelectorAll("#turns .turn");
    if (latest.length) latest[latest.length - 1].scrollIntoView({ block: "nearest" });
  }
});
// A refused question (422: empty, too long) says why in the conversation, in Chinese,
// instead of the generic failure notice.
document.addEventListener("htmx:beforeSwap", function (event) {
  var form = event.detail.requestConfig && event.detail.requestConfig.elt;  // elt: the target
  if (form && form.id === "ask" && event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
