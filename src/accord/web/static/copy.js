// A copy button beside a long identifier (a digest, a signature, a link or a token shown
// once): the page carries it hidden, since without a script it cannot work, and this script
// shows it. Its words come from the page (data-copied, data-failed), already translated.
// Where the browser refuses the clipboard, the identifier is selected for the keyboard to copy.
(function () {
  "use strict";
  function say(button, word) {
    var status = button.nextElementSibling;
    if (status) status.textContent = button.getAttribute(word);
  }
  function select(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var text = target.innerText.trim();  // innerText keeps a signed note's line breaks
    var failed = function () { select(target); say(button, "data-failed"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(button, "data-copied"); }, failed);
    } else {
      failed();
    }
  }
  function show() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (button) copy(button);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
