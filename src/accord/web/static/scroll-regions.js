// A table or block of text wider than the screen scrolls inside its own box (accord.css).
// Such a box must be reachable by keyboard to be scrolled without a mouse (WCAG 2.1.1): give
// each one that actually scrolls a tab stop, and take it back when it no longer
// does (a wider window). Without this script the boxes still scroll by touch and mouse.
(function () {
  "use strict";
  function mark() {
    var boxes = document.querySelectorAll("main table, main pre");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-region", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-region")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-region");
      }
    }
  }
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending === null) {
      pending = window.requestAnimationFrame(function () { pending = null; mark(); });
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
})();
