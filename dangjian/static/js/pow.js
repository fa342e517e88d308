/* Proof of work for public forms (dangjian.core.pow): find a nonce such that
   SHA-256("<challenge>:<nonce>") starts with the required number of zero bits, then let
   the form be submitted. Runs only when the server asked for it (data-pow-bits). */
(function () {
  "use strict";
  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      return count + Math.clz32(bytes[i]) - 24;
    }
    return count;
  }
  async function solve(challenge, bits) {
    var encoder = new TextEncoder();
    for (var nonce = 0; ; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + nonce));
      if (zeroBits(new Uint8Array(digest)) >= bits) return String(nonce);
    }
  }
  var form = document.querySelector("form[data-pow-bits]");
  if (!form) return;
  var challenge = form.querySelector("input[name=pow_challenge]");
  var answer = form.querySelector("input[name=pow_nonce]");
  var status = document.getElementById("pow-status");
  var buttons = form.querySelectorAll("button[type=submit]");
  if (!challenge || !challenge.value || !answer) return;
  if (!window.crypto || !crypto.subtle) {
    if (status) status.textContent = "此浏览器不支持安全验证，请稍后再试或拨打12371。";
    return;
  }
  buttons.forEach(function (b) { b.disabled = true; });
  solve(challenge.value, parseInt(form.dataset.powBits, 10)).then(function (nonce) {
    answer.value = nonce;
    buttons.forEach(function (b) { b.disabled = false; });
    if (status) status.textContent = "安全验证已完成，可以提交。";
    form.dataset.powDone = "1";
  });
})();
