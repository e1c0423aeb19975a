(function () {
  "use strict";
  function all() { return document.querySelectorAll("details"); }
  function setAll(open) { all().forEach(function (d) { d.open = open; }); }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    reopened = [];
    all().forEach(function (d) { if (!d.open) { d.open = true; reopened.push(d); } });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });
})();
