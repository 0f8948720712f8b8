// Marks the page as having JavaScript before it is drawn, as govuk-frontend's template does inline
// (a file of its own, so the pages' Content-Security-Policy can forbid inline scripts).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
