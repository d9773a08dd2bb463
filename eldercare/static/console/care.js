// Check-in takes the phone's position: the form is sent once the position is in its hidden fields.
document.querySelectorAll("form.checkin").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (form.latitude.value) return;
    event.preventDefault();
    var status = form.querySelector(".checkin-status");
    if (!navigator.geolocation) { status.textContent = "本机无法定位，请联系调度员 / this phone cannot give a position"; return; }
    status.textContent = "正在定位… / finding your position…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.latitude.value = pos.coords.latitude.toFixed(6);
      form.longitude.value = pos.coords.longitude.toFixed(6);
      form.requestSubmit(form.querySelector("button[value=check_in]"));
    }, function () { status.textContent = "定位失败，请打开定位权限后重试 / no position: allow location and try again"; },
    { enableHighAccuracy: true, timeout: 15000 });
  });
});
