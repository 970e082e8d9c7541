/* A printed ticket or receipt: the Print button, and the print dialog at once when opened from a card
 * (?autoprint=1). */
(function () {
  "use strict";
  document.getElementById("print-now").addEventListener("click", function () { window.print(); });
  if (new URLSearchParams(location.search).get("autoprint") === "1") window.print();
})();
