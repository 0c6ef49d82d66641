// The API's docs page (templates/api/docs.html): Swagger UI with the settings the page carries as JSON,
// from a file rather than an inline script, which the Content-Security-Policy refuses.
(function () {
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  window.ui = SwaggerUIBundle(settings);
})();
