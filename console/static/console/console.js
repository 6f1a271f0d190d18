/* The console's little JavaScript: a form (or the button pressed) marked data-confirm
   asks before it is sent (closing a report, changing money). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // the button pressed may ask its own question (one form, two decisions)
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || (form.dataset && form.dataset.confirm);
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
