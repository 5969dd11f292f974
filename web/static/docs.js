// Swagger UI over this service's /openapi.json. validatorUrl null: Swagger UI would
// otherwise send the document to an online validator for its badge.
(function () {
  "use strict";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
