/* 组织生活: location check-in (navigator.geolocation) and the QR screen's countdown.
   No inline scripts (CSP): the pages mark the elements with data- attributes. */
(function () {
  "use strict";
  var GEO_ERRORS = {
    1: "您拒绝了获取位置，请在浏览器设置中允许后重试，或扫描二维码签到。",
    2: "暂时无法获取位置，请到室外或打开手机定位后重试。",
    3: "获取位置超时，请重试。"
  };

  // Location check-in: fill in the phone's coordinates, then submit the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-geo-checkin")) return;
    if (form.elements.lat.value && form.elements.lng.value) return; // coordinates filled
    event.preventDefault();
    var status = form.querySelector(".geo-status");
    var button = form.querySelector("button");
    if (!navigator.geolocation) {
      status.textContent = "您的浏览器不支持定位，请扫描二维码签到。";
      return;
    }
    status.textContent = "正在获取位置…";
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude;
      form.elements.lng.value = pos.coords.longitude;
      form.submit();
    }, function (err) {
      button.disabled = false;
      status.textContent = GEO_ERRORS[err.code] || GEO_ERRORS[2];
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
  }, true);

  // The check-in page: when the scanned code lapses while the page is open, withdraw
  // the 签到 button and say so (the server refuses it after that anyway).
  window.setInterval(function () {
    var form = document.querySelector("form[data-qr-expires]");
    if (!form || Date.now() / 1000 < parseInt(form.getAttribute("data-qr-expires"), 10)) return;
    form.hidden = true;
    var notice = document.querySelector("[data-qr-expired]");
    if (notice) notice.hidden = false;
  }, 1000);

  // The QR screen: count down to the next code (htmx swaps in a new one every 30 s).
  window.setInterval(function () {
    var box = document.getElementById("qr-box");
    var shown = box && box.querySelector(".qr-countdown");
    if (!shown) return;
    var left = parseInt(shown.textContent, 10) - 1;
    shown.textContent = left > 0 ? left : 0;
  }, 1000);
})();
