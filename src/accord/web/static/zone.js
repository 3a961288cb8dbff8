// Tell the hub the browser's own time zone (a cookie the server reads when the viewer chose
// none, see web/i18n.py): pages after the first then show times where the reader is.
// On a page written before the hub knew any zone (the very first), the server wrote its
// times in UTC and marked them <time datetime="…" data-local>: they are rewritten here in the
// browser's zone, as the server writes a moment (the locale's medium date and short time,
// then the zone's name: i18n.format_when), before the page is shown (blocking="render").
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone)) return;
  if (zone === "Etc/UTC" || zone === "Etc/GMT" || zone === "GMT") zone = "UTC";
  if (document.cookie.split("; ").indexOf("accord_browser_tz=" + zone) < 0) {
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = "accord_browser_tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
  }
  if (zone === "UTC") return; // the page is already written in it

  var lang = document.documentElement.lang || "en";
  var shown, named;
  try {
    shown = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
    named = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: "longGeneric" });
  } catch (e) {
    return; // a browser without these options keeps the server's UTC
  }

  function local(root) {
    var times = root.querySelectorAll("time[data-local]");
    for (var i = 0; i < times.length; i++) {
      var moment = new Date(times[i].getAttribute("datetime"));
      if (isNaN(moment.getTime())) continue;
      times[i].textContent = shown.format(moment) + " " + zone;
      times[i].removeAttribute("data-local");
    }
    var names = root.querySelectorAll("[data-local-zone]");
    for (var j = 0; j < names.length; j++) {
      var parts = named.formatToParts(new Date());
      for (var k = 0; k < parts.length; k++) {
        if (parts[k].type === "timeZoneName") names[j].textContent = parts[k].value;
      }
      names[j].title = zone;
      names[j].removeAttribute("data-local-zone");
    }
  }

  local(document);
  // Parts of the page htmx swaps in later were written with the cookie above: nothing to do,
  // unless the request left before it was set.
  document.addEventListener("htmx:afterSwap", function (event) {
    local(event.target);
  });
})();
