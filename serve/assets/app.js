// kubelab serve: the "Check this step" buttons, copy buttons on code blocks.
// Everything the server sends back is an HTML fragment it escaped itself.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="kubelab-token"]').content;
  var texts = JSON.parse(document.getElementById("kubelab-texts").textContent);

  document.querySelectorAll("pre > code").forEach(function (code) {
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "copy";
    btn.textContent = texts.copy;
    btn.addEventListener("click", function () {
      var done = function () {
        btn.textContent = texts.copied;
        setTimeout(function () { btn.textContent = texts.copy; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.innerText).then(done, function () {});
      } else {
        var ta = document.createElement("textarea");
        ta.value = code.innerText;
        document.body.appendChild(ta);
        ta.select();
        try { document.execCommand("copy"); done(); } catch (e) {}
        document.body.removeChild(ta);
      }
    });
    code.parentNode.insertBefore(btn, code);
  });

  document.querySelectorAll("button.check").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var out = document.getElementById(btn.dataset.target);
      var label = btn.textContent;
      btn.disabled = true;
      btn.classList.add("busy");
      btn.textContent = texts.checking;
      out.setAttribute("aria-busy", "true");
      var ctrl = new AbortController();
      var timer = setTimeout(function () { ctrl.abort(); }, 120000);
      fetch(btn.dataset.url, {
        method: "POST",
        headers: { "X-Kubelab-Token": token, "Content-Type": "application/json" },
        body: JSON.stringify({ step: btn.dataset.step, lang: document.documentElement.lang }),
        credentials: "same-origin",
        signal: ctrl.signal
      }).then(function (resp) {
        return resp.text().then(function (body) {
          if (!resp.ok) { throw new Error(resp.status + " " + body); }
          out.innerHTML = body;
          out.className = "results";
        });
      }).catch(function (err) {
        out.className = "results error";
        out.textContent = texts.failed + " " + (err.name === "AbortError" ? texts.timeout : err.message);
      }).finally(function () {
        clearTimeout(timer);
        btn.disabled = false;
        btn.classList.remove("busy");
        btn.textContent = label;
        out.removeAttribute("aria-busy");
        out.querySelectorAll("[data-step-mark]").forEach(function (m) {
          var mark = document.querySelector('[data-mark="' + m.dataset.stepMark + '"]');
          if (mark) { mark.dataset.status = m.dataset.status; mark.title = m.dataset.status; }
        });
      });
    });
  });

  // Live results: kubelab serve watches the namespace and sends every
  // change; the contents list and this step's results follow it without a
  // click. The fragments are the server's own escaped HTML.
  if (window.EventSource) {
    var es = new EventSource("/events?token=" + encodeURIComponent(token));
    es.onmessage = function (msg) {
      var ev;
      try { ev = JSON.parse(msg.data); } catch (e) { return; }
      Object.keys(ev.marks || {}).forEach(function (step) {
        var mark = document.querySelector('[data-mark="' + step + '"]');
        if (mark) { mark.dataset.status = ev.marks[step]; mark.title = ev.marks[step]; }
      });
      if (ev.lang !== document.documentElement.lang) { return; }
      document.querySelectorAll("button.check").forEach(function (btn) {
        var html = (ev.results || {})[btn.dataset.step];
        var out = document.getElementById(btn.dataset.target);
        if (html && out && !btn.disabled && out.innerHTML !== html) {
          out.innerHTML = html;
          out.className = "results";
        }
      });
    };
  }
})();
