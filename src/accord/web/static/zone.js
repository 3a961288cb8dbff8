// Tell the hub the browser's own time zone (a cookie the server reads when the viewer chose
// none, see web/i18n.py): pages after the first then show times where the reader is.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone)) return;
  if (document.cookie.split("; ").indexOf("accord_browser_tz=" + zone) >= 0) return;
  var secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = "accord_browser_tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
})();
