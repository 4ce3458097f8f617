// Live preview for the lesson editor: sends the Markdown to the server,
// which renders and sanitises it exactly as learners will see it.
(function () {
  var form = document.getElementById("lesson-form");
  var preview = document.getElementById("preview");
  if (!form || !preview) { return; }
  var body = form.querySelector("textarea[name=body]");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  function refresh() {
    var data = new FormData();
    data.append("body", body.value);
    data.append("csrf_token", token ? token.value : "");
    fetch(preview.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { preview.innerHTML = html; } });
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
