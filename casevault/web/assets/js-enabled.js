// Loaded first in <body>: tells govuk-frontend's styles that scripts run here (what its
// template does with an inline script, which casevault's Content-Security-Policy forbids).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
