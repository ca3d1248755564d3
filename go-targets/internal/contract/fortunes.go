package contract

import (
	"bytes"
	"html/template"
	"slices"
	"strings"
)

// TextHTML is the content type of the fortunes page.
const TextHTML = "text/html; charset=utf-8"

// AddedFortune is the message /fortunes adds, with id 0, to the rows it read.
const AddedFortune = "Additional fortune added at request time."

// Fortune is one row of the Fortune table.
type Fortune struct {
	ID      int32
	Message string
}

// fortunesTemplate is TechEmpower's page (spec/CONTRACT.md, "Database endpoints").
// html/template escapes & < > " and ' in the messages (as &amp; &lt; &gt; &#34; &#39;), and
// also + (as &#43;), which TechEmpower's verifier reads back as + (fortune_html_parser.py).
var fortunesTemplate = template.Must(template.New("fortunes").Parse(
	`<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>` +
		`{{range .}}<tr><td>{{.ID}}</td><td>{{.Message}}</td></tr>{{end}}` +
		`</table></body></html>`))

// FortunesPage adds AddedFortune to the rows read, sorts them by message (byte order of the
// UTF-8 text) and renders the page.
func FortunesPage(read []Fortune) ([]byte, error) {
	fortunes := append(read, Fortune{ID: 0, Message: AddedFortune})
	slices.SortFunc(fortunes, func(a, b Fortune) int { return strings.Compare(a.Message, b.Message) })
	var page bytes.Buffer
	if err := fortunesTemplate.Execute(&page, fortunes); err != nil {
		return nil, err
	}
	return page.Bytes(), nil
}
