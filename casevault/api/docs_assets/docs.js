// The docs page's only script (no inline script: the page's CSP forbids it).
// The token typed in is kept in this closure only and added to Swagger UI's
// requests to this service: the schema, and "Try it out".
"use strict";
(function () {
  var form = document.getElementById("token-form");
  var input = document.getElementById("token");
  var token = "";

  function show() {
    SwaggerUIBundle({
      url: form.dataset.openapiUrl,
      dom_id: "#swagger-ui",
      validatorUrl: null, // Swagger UI would otherwise send the schema to an outside validator
      requestInterceptor: function (request) {
        if (token) {
          request.headers.Authorization = "Bearer " + token;
        }
        return request;
      },
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    token = input.value.trim();
    input.value = "";
    show();
  });
  if (form.dataset.publicSchema === "true") {
    show();
  }
})();
