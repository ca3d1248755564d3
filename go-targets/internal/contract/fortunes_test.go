package contract

import (
	"strings"
	"testing"
)

func TestTheFortunesPageIsTechEmpowersLayoutWithTheAddedRowSortedByMessage(t *testing.T) {
	page, err := FortunesPage([]Fortune{{2, "b"}, {1, "a"}, {3, "フレームワークのベンチマーク"}, {4, "Z"}})
	if err != nil {
		t.Fatal(err)
	}
	// Byte order of the UTF-8 text: upper case before lower case, Japanese last.
	want := `<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>` +
		`<tr><td>0</td><td>Additional fortune added at request time.</td></tr>` +
		`<tr><td>4</td><td>Z</td></tr>` +
		`<tr><td>1</td><td>a</td></tr>` +
		`<tr><td>2</td><td>b</td></tr>` +
		`<tr><td>3</td><td>フレームワークのベンチマーク</td></tr>` +
		`</table></body></html>`
	if string(page) != want {
		t.Errorf("got\n%s\nwant\n%s", page, want)
	}
}

func TestTheFortunesPageEscapesTheFiveHTMLCharacters(t *testing.T) {
	cases := []struct {
		message string
		want    string
	}{
		{`<script>alert("This should not be displayed in a browser alert box.");</script>`,
			`&lt;script&gt;alert(&#34;This should not be displayed in a browser alert box.&#34;);&lt;/script&gt;`},
		{`A computer scientist is someone who fixes things that aren't broken.`,
			`A computer scientist is someone who fixes things that aren&#39;t broken.`},
		{`fish & chips`, `fish &amp; chips`},
		// html/template's own choice; TechEmpower's verifier reads &#43; as +.
		{`4.33e+67`, `4.33e&#43;67`},
	}
	for _, c := range cases {
		page, err := FortunesPage([]Fortune{{11, c.message}})
		if err != nil {
			t.Fatal(err)
		}
		if row := "<tr><td>11</td><td>" + c.want + "</td></tr>"; !strings.Contains(string(page), row) {
			t.Errorf("%q: no row %s in\n%s", c.message, row, page)
		}
	}
}
