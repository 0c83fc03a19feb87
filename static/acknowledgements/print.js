// "Print" buttons: inline handlers are not allowed by the Content-Security-Policy.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
