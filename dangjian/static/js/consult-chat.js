// 智能问答: after a question is answered through htmx, clear the box and show the answer.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (form && form.id === "ask" && event.detail.successful) {
    form.reset();
    var latest = document.querySelectorAll("#turns .turn");
    if (latest.length) latest[latest.length - 1].scrollIntoView({ block: "nearest" });
  }
});
