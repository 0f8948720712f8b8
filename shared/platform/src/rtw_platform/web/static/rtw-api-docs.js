// Starts Swagger UI on a service's /docs page with the document its container names (a file,
// not an inline script: the page's Content-Security-Policy allows scripts from the origin only).
(function () {
  var holder = document.getElementById("swagger-ui");
  if (!holder || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  window.ui = SwaggerUIBundle({
    url: holder.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
