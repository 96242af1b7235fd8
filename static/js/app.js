/* Page behaviour without inline script (the Content-Security-Policy allows scripts
 * from this site only): elements say what they do with data attributes.
 *
 *   <select data-autosubmit>   submits its form when changed (the language switch)
 *   <button data-print>        prints the page
 *   <form data-confirm="…">    asks before it is sent (a run started now)
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();
