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

  // The meeting form: attendees 全选 / 全不选 with a count, a remembered venue, the
  // venue's coordinates from the secretary's own phone (使用我的位置).
  function boxes(name) {
    return document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
  }
  function showCount(name) {
    var shown = document.querySelector('[data-check-count="' + name + '"]');
    if (!shown) return;
    var all = boxes(name), ticked = 0;
    for (var i = 0; i < all.length; i++) if (all[i].checked) ticked++;
    shown.textContent = "已选 " + ticked + " / " + all.length + " 人";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-check-all], [data-check-none], [data-use-location]");
    if (!button) return;
    if (button.hasAttribute("data-use-location")) {
      useLocation(button);
      return;
    }
    var name = button.getAttribute("data-check-all") || button.getAttribute("data-check-none");
    var all = boxes(name);
    for (var i = 0; i < all.length; i++) all[i].checked = button.hasAttribute("data-check-all");
    showCount(name);
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.type === "checkbox" && document.querySelector('[data-check-count="' + el.name + '"]')) {
      showCount(el.name);
    }
    if (!el.hasAttribute || !el.hasAttribute("data-venue-pick") || !el.value) return;
    var option = el.options[el.selectedIndex], form = el.form;
    form.elements.place.value = el.value;
    form.elements.latitude.value = option.getAttribute("data-lat");
    form.elements.longitude.value = option.getAttribute("data-lng");
    form.elements.checkin_radius_m.value = option.getAttribute("data-radius");
  });
  document.addEventListener("DOMContentLoaded", function () {
    var counts = document.querySelectorAll("[data-check-count]");
    for (var i = 0; i < counts.length; i++) showCount(counts[i].getAttribute("data-check-count"));
  });
  function useLocation(button) {
    var form = button.form, status = form.querySelector(".geo-tools .geo-status");
    if (!navigator.geolocation) {
      status.textContent = "您的浏览器不支持定位，请从常用会场中选择或手动填写。";
      return;
    }
    status.textContent = "正在获取位置…";
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      button.disabled = false;
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      status.textContent = "已填入当前位置（精度约 " + Math.round(pos.coords.accuracy) + " 米）。";
    }, function () {
      button.disabled = false;
      status.textContent = "未能获取位置（未允许定位或信号弱），可从常用会场中选择或手动填写。";
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
  }

  // The QR screen: count down to the next code (htmx swaps in a new one every 30 s).
  window.setInterval(function () {
    var box = document.getElementById("qr-box");
    var shown = box && box.querySelector(".qr-countdown");
    if (!shown) return;
    var left = parseInt(shown.textContent, 10) - 1;
    shown.textContent = left > 0 ? left : 0;
  }, 1000);
})();
