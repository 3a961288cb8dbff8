// Preselect the browser's own time zone in the disclosure pages' zone picker, unless the
// viewer chose one already (the server then renders it selected and names it).
document.querySelectorAll("select[name=time_zone]").forEach(function (select) {
  if (select.dataset.current !== "UTC") return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && select.querySelector('option[value="' + zone + '"]')) select.value = zone;
});
