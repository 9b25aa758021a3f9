// Starts the API reference at /schema (Swagger UI, vendored under /static/vendor/swagger-ui-*/). It is here,
// not inline in the page, so that /schema keeps the site's Content-Security-Policy (no inline scripts).
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  var cookie = root.dataset.csrfCookie;
  var header = root.dataset.csrfHeader;

  function csrfToken() {
    if (!cookie) return null;
    var rows = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].indexOf(cookie + "=") === 0) return decodeURIComponent(rows[i].slice(cookie.length + 1));
    }
    return null;
  }

  window.ui = window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no calls to validator.swagger.io
    // "Try it out" on a POST sends the CSRF token as a form on the site would.
    requestInterceptor: function (request) {
      var token = csrfToken();
      if (token && header) request.headers[header] = token;
      return request;
    }
  });
})();
