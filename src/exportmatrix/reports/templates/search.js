// The site's search: over the ids, descriptions and tags of behaviours, and the
// names of releases and capture paths (search.js beside index.html lists them:
// window.exportmatrixSearch, each [what, name, text searched, path from the site's root]).
(function () {
  "use strict";
  var box = document.getElementById("search"), list = document.getElementById("search-results");
  var entries = window.exportmatrixSearch || [];
  var root = document.body.dataset.root || "";
  if (!box || !list) { return; }
  function find() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { list.hidden = true; return; }
    var found = entries.filter(function (entry) {
      var haystack = (entry[1] + " " + entry[2]).toLowerCase();
      return words.every(function (word) { return haystack.indexOf(word) >= 0; });
    }).slice(0, 50);
    found.forEach(function (entry) {
      var item = document.createElement("li"), link = document.createElement("a"), what = document.createElement("span");
      link.href = root + entry[3];
      link.textContent = entry[1];
      what.className = "what";
      what.textContent = " " + entry[0] + (entry[2] ? ": " + entry[2] : "");
      item.appendChild(link);
      item.appendChild(what);
      list.appendChild(item);
    });
    if (!found.length) { list.appendChild(document.createTextNode("nothing found")); }
    list.hidden = false;
  }
  box.addEventListener("input", find);
  box.addEventListener("keydown", function (event) {
    var first = list.querySelector("a");
    if (event.key === "Enter" && first) { location.href = first.href; }
    if (event.key === "Escape") { box.value = ""; find(); }
  });
}());
