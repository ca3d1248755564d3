'use strict';
// The /fortunes page of spec/CONTRACT.md, rendered through a small HTML template: a tagged
// template literal (`html`) escapes every value put into it, so no message reaches the page
// unescaped, and a fragment it rendered goes into another one as it is. A template package
// (handlebars, mustache, eta) would compile this one fixed layout to the same concatenation,
// at the cost of a dependency to keep and of measuring that package instead of Node.

// The five characters the contract (and TechEmpower's verifier) requires escaped.
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/g;

/** `text` with & < > " ' replaced by their HTML character references. */
function escapeHtml(text) {
  return text.replace(SPECIAL, (c) => ESCAPES[c]);
}

/** HTML that `html` rendered: put into another template as it is, never escaped twice. */
class SafeHtml {
  constructor(text) {
    this.text = text;
  }
}

function render(value) {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The tagged template: html`<td>${message}</td>` escapes `message`. */
function html(strings, ...values) {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1];
  return new SafeHtml(text);
}

/** The page listing `fortunes` ({id, message}, already in order). */
function fortunesPage(fortunes) {
  const rows = fortunes.map(({ id, message }) => html`<tr><td>${id}</td><td>${message}</td></tr>`);
  // A backslash at the end of a line continues it: the page has no whitespace between tags.
  return html`<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>\
<tr><th>id</th><th>message</th></tr>${rows}</table></body></html>`.text;
}

module.exports = { escapeHtml, fortunesPage, html };
