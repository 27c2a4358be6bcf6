// The report pages: a changed choice shows its report at once, and the print button prints.
// The figures, the ranking and the charts are made on the server; this script only navigates.
"use strict";

(() => {
  const form = document.getElementById("report-query");
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
  document.getElementById("date").addEventListener("change", (event) => {
    if (event.target.value) form.requestSubmit();
  });
  document.getElementById("print").addEventListener("click", () => window.print());
})();
