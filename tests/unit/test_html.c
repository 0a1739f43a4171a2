/* test_html - HTML read as the text a mail client shows (hostile cases) */
#include "testutil.h"
#include "../../policy/policy.h"

/* shown - the text as lines: each trimmed, spaces collapsed, none empty */
static char *
shown(const char *text)
{
	struct buf b;
	bool sp = false, line = false;

	buf_init(&b);
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			if (line)
				buf_append(&b, "\n", 1);
			line = sp = false;
		} else if (*p == ' ' || *p == '\t') {
			sp = line;
		} else {
			if (sp)
				buf_append(&b, " ", 1);
			buf_append(&b, p, 1);
			line = true;
			sp = false;
		}
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.len--;
	buf_append(&b, "", 1);
	return b.data;
}

static const struct { const char *name, *html, *client_shows; } cases[] = {
	{ "table, one word per cell",
	  "<table><tr><td>guest</td><td>can</td><td>crash</td></tr>"
	  "<tr><td>the</td><td>host</td></tr></table>",
	  "guest can crash\nthe host" },
	{ "header cells", "<table><tr><th>Issue</th><th>Impact</th></tr></table>",
	  "Issue Impact" },
	{ "lists", "<ul><li>one</li><li>two</li></ul><ol><li>three</ol>",
	  "one\ntwo\nthree" },
	{ "nested inline tags", "<p>The <b>quick <i>brown</i></b> <span>fox</span></p>",
	  "The quick brown fox" },
	{ "a span per word", "<span>one</span> <span>two</span><span> three</span>",
	  "one two three" },
	{ "entities", "a&lt;b&gt; &#65;&#x42; &amp; caf&eacute; &quot;q&quot;",
	  "a<b> AB & caf\xc3\xa9 \"q\"" },
	{ "a comment inside a word, and across lines",
	  "wo<!-- hidden -->rd <!-- x\ny -->two", "word two" },
	{ "CDATA is a bogus comment in HTML", "<p>x<![CDATA[ secret ]]>y</p>", "xy" },
	{ "unclosed paragraphs and divs", "<p>one<p>two<div>three", "one\ntwo\nthree" },
	{ "misnested inline tags", "<b>bold <i>both</b> italic</i>", "bold both italic" },
	{ "br in every form", "l1<br/>l2<br />l3<BR>l4</br>l5<br\n>l6", "l1\nl2\nl3\nl4\nl5\nl6" },
	{ "script and style dropped", "<style>p { color: red }</style>"
	  "<script>document.write('x')</script>visible", "visible" },
	{ "head and title dropped", "<html><head><title>T</title></head><body>B</body></html>", "B" },
	{ "source newlines are spaces", "<p>a long\nsentence that\nwraps</p>",
	  "a long sentence that wraps" },
	{ "pre keeps its lines", "<pre>line one\nline two</pre>", "line one\nline two" },
	{ "a > inside an attribute", "<p title=\"x>y\">text</p>", "text" },
	{ "an unterminated tag at the end", "text <b", "text" },
	{ "blockquote of a reply", "<div>Hi</div><blockquote><div>quoted line</div></blockquote>",
	  "Hi\nquoted line" },
	{ "plain text, no markup", "just words", "just words" },
};

static void
t_hostile_table(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;
		char *got;

		buf_init(&out);
		policy_html_to_text(cases[i].html, strlen(cases[i].html), &out);
		buf_append(&out, "", 1);
		got = shown(out.data);
		if (strcmp(got, cases[i].client_shows) != 0)
			fail_msg("%s: got \"%s\", a client shows \"%s\"",
			    cases[i].name, got, cases[i].client_shows);
		free(got);
		buf_free(&out);
	}
}

/* A huge attribute value, and deep nesting: read, bounded, no crash. */
static void
t_huge_and_deep(void **st)
{
	struct buf h, out;
	char *got;

	(void)st;
	buf_init(&h);
	buf_appends(&h, "<p title=\"");
	for (int i = 0; i < 200000; i++)
		buf_append(&h, "a", 1);
	buf_appends(&h, "\">after</p>");
	for (int i = 0; i < 5000; i++)
		buf_appends(&h, "<div>");
	buf_appends(&h, "deep");
	buf_init(&out);
	policy_html_to_text(h.data, h.len, &out);
	buf_append(&out, "", 1);
	got = shown(out.data);
	assert_non_null(strstr(got, "after"));
	free(got);
	buf_free(&out);
	buf_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_hostile_table),
		cmocka_unit_test(t_huge_and_deep),
	};

	return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
