//! What an editor writes in Markdown always reaches the page, made safe where it must be, and
//! what would fail residents (skipped heading levels, links that say nothing, pictures without a
//! description) is warned about at its line. Each test writes one page into a copy of the
//! `markdown` fixture and builds the model in-process.

mod common;

use std::time::{Duration, Instant};

use common::{fixture, write};
use communities::pipeline::{self, Options};

/// The page's rendered body and every problem reported, as `path:line:col: severity: message`.
fn page(body: &str) -> (String, Vec<String>) {
    page_with(&[], body)
}

/// `page`, with these files (path from the site's folder, text).
fn page_with(files: &[(&str, &str)], body: &str) -> (String, Vec<String>) {
    let site = fixture("markdown");
    for (path, text) in files {
        write(site.path(), path, text);
    }
    write(
        site.path(),
        "content/page.md",
        &format!("---\ntitle: Page\n---\n{body}"),
    );
    let options = Options {
        root: site.path().to_path_buf(),
        ..Options::default()
    };
    match pipeline::load(&options) {
        Ok((site, warnings)) => {
            let page = site
                .pages
                .iter()
                .find(|p| p.source.content_path == "page.md")
                .expect("the page is published");
            (
                page.rendered.html.read().unwrap().into_owned(),
                warnings
                    .iter()
                    .map(|w| first_line(&w.to_string()))
                    .collect(),
            )
        }
        Err(errors) => (
            String::new(),
            errors.iter().map(|e| first_line(&e.to_string())).collect(),
        ),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_tag_left_open_in_a_sentence_removes_only_itself() {
    for tag in [
        "textarea", "title", "xmp", "iframe", "noscript", "style", "script", "select",
    ] {
        let (html, problems) = page(&format!(
            "Type your message in the <{tag}> box.\n\nThe *rest* of the page.\n"
        ));
        assert!(
            html.contains("<p>Type your message in the  box.</p>")
                && html.contains("<p>The <em>rest</em> of the page.</p>"),
            "<{tag}>: {html}"
        );
        assert_eq!(
            problems,
            [format!(
                "content/page.md:4:26: warning: this HTML was made safe by removing <{tag}> (left open); the text around it was kept"
            )],
            "<{tag}>"
        );
    }
}

#[test]
fn an_html_block_left_open_cannot_take_the_markdown_after_it() {
    let (html, problems) = page("<div class=\"note\">\n<title>\n\nNext *paragraph*.\n");
    assert!(html.contains("<p>Next <em>paragraph</em>.</p>"), "{html}");
    assert_eq!(
        problems,
        [
            "content/page.md:4:1: warning: this HTML was made safe by removing <title> (left open); the text around it was kept"
        ]
    );
}

#[test]
fn a_line_opening_a_textarea_never_closed_leaves_the_markdown_after_it() {
    let (html, problems) = page("<textarea>\n\n## Next\n\nSome *text*.\n");
    assert!(html.contains("<h2 id=\"next\">Next</h2>"), "{html}");
    assert!(html.contains("<p>Some <em>text</em>.</p>"), "{html}");
    assert_eq!(
        problems,
        [
            "content/page.md:4:1: warning: this HTML was made safe by removing <textarea> (left open); the text around it was kept"
        ]
    );
}

#[test]
fn a_closed_script_goes_with_its_content_and_safe_html_stays() {
    let (html, problems) =
        page("<script>alert(1)</script>\n\nSome <abbr title=\"Parish council\">PC</abbr> text.\n");
    assert!(!html.contains("alert"), "{html}");
    assert!(
        html.contains("<abbr title=\"Parish council\">PC</abbr>"),
        "{html}"
    );
    assert_eq!(
        problems,
        [
            "content/page.md:4:1: warning: this HTML was made safe by removing <script>; the text around it was kept"
        ]
    );
}

#[test]
fn a_link_opening_a_new_tab_gets_noopener_and_custom_elements_are_warned_about() {
    let (html, problems) = page(
        "<a href=\"https://example.org/\" target=\"_blank\">Example</a> and <my-widget>kept text</my-widget>.\n",
    );
    assert!(
        html.contains(
            "<a href=\"https://example.org/\" target=\"_blank\" rel=\"noopener\">Example</a>"
        ),
        "{html}"
    );
    assert!(html.contains(" and kept text.</p>"), "{html}");
    assert_eq!(
        problems,
        [
            "content/page.md:4:64: warning: this HTML was made safe by removing <my-widget>; the text around it was kept"
        ]
    );
}

#[test]
fn table_alignment_is_written_as_classes_without_inline_style() {
    let (html, problems) = page("| L | C | R | N |\n|:--|:-:|--:|---|\n| a | b | c | d |\n");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        html.contains("<tr><th class=\"align-left\">L</th><th class=\"align-center\">C</th><th class=\"align-right\">R</th><th>N</th></tr>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td class=\"align-left\">a</td><td class=\"align-center\">b</td><td class=\"align-right\">c</td><td>d</td></tr>"),
        "{html}"
    );
    assert!(!html.contains("style="), "{html}");
}

#[test]
fn footnotes_have_their_own_ids_back_links_and_the_order_of_first_reference() {
    let (html, problems) = page(
        "First[^b] and second[^my note] and first again[^b].\n\n## Notes\n\n[^my note]: Spaced label.\n[^b]: Bee.\n[^unused]: Never referred to.\n",
    );
    assert_eq!(
        problems,
        ["content/page.md:10:1: warning: this footnote is never referred to, so it is not shown"]
    );
    assert!(html.contains("<h2 id=\"notes\">Notes</h2>"), "{html}");
    assert!(
        html.contains("First<sup class=\"footnote-ref\"><a href=\"#fn-b\" id=\"fnref-b\">1</a></sup> and second<sup class=\"footnote-ref\"><a href=\"#fn-my-note\" id=\"fnref-my-note\">2</a></sup> and first again<sup class=\"footnote-ref\"><a href=\"#fn-b\" id=\"fnref-b-2\">1</a></sup>."),
        "{html}"
    );
    let notes = html
        .split("<section class=\"footnotes\">")
        .nth(1)
        .expect("footnotes at the end");
    assert!(
        notes.find("id=\"fn-b\"") < notes.find("id=\"fn-my-note\""),
        "{notes}"
    );
    assert!(
        notes.contains("<p>Bee. <a href=\"#fnref-b\" class=\"footnote-backref\" aria-label=\"Back to reference 1\">↩</a> <a href=\"#fnref-b-2\" class=\"footnote-backref\" aria-label=\"Back to reference 1-2\">↩</a></p>"),
        "{notes}"
    );
    assert!(!html.contains("Never referred to"), "{html}");
}

#[test]
fn heading_attributes_are_only_ids_and_classes() {
    let (html, problems) = page("## Budget {2021}\n\n## Spend {#spend .wide}\n\n## Plan {#a b}\n");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        html.contains("<h2 id=\"budget-2021\">Budget {2021}</h2>"),
        "{html}"
    );
    assert!(
        html.contains("<h2 id=\"spend\" class=\"wide\">Spend</h2>"),
        "{html}"
    );
    assert!(
        html.contains("<h2 id=\"plan-a-b\">Plan {#a b}</h2>"),
        "{html}"
    );
}

#[test]
fn pasted_web_and_mail_addresses_become_links() {
    let (html, _) = page(
        "Visit www.example.org/path_x, https://example.com/a or write to info@example.org. Not [www.example.net](https://example.net/) again.\n",
    );
    assert!(
        html.contains("Visit <a href=\"http://www.example.org/path_x\">www.example.org/path_x</a>, <a href=\"https://example.com/a\">https://example.com/a</a> or write to <a href=\"mailto:info@example.org\">info@example.org</a>."),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://example.net/\">www.example.net</a>"),
        "{html}"
    );
}

#[test]
fn an_address_in_angle_brackets_is_a_mail_link_not_a_missing_page() {
    let (html, problems) = page("Write to <team@example.org> or call.\n");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        html.contains("Write to <a href=\"mailto:team@example.org\">team@example.org</a> or call."),
        "{html}"
    );
}

#[test]
fn headings_out_of_order_and_a_second_main_heading_are_warned_about() {
    let (_, problems) = page("## Start\n\n#### Too deep\n\n# Title again\n\n### Fine after\n");
    assert_eq!(
        problems,
        [
            "content/page.md:6:1: warning: this heading skips a level: from ## to ####",
            "content/page.md:8:1: warning: a second main heading: the page's title is already shown as its main heading (#)",
            "content/page.md:10:1: warning: this heading skips a level: from # to ###",
        ]
    );
}

#[test]
fn link_text_that_says_nothing_on_its_own_is_warned_about() {
    let (_, problems) = page(
        "For the form [click here](https://example.org/). [Read more.](https://example.org/)\n[The grants guide](https://example.org/) is fine.\n",
    );
    assert_eq!(
        problems,
        [
            "content/page.md:4:14: warning: the link text \"click here\" says nothing when heard on its own",
            "content/page.md:4:50: warning: the link text \"Read more.\" says nothing when heard on its own",
        ]
    );
}

#[test]
fn a_picture_without_a_description_is_warned_about_unless_marked_decorative() {
    let (html, problems) = page_with(
        &[(
            "static/hall.svg",
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"/>"#,
        )],
        "![](/hall.svg)\n\n![decorative](/hall.svg)\n",
    );
    assert_eq!(
        problems,
        [
            "content/page.md:4:1: warning: this picture has no description for people who cannot see it"
        ]
    );
    assert_eq!(html.matches(" alt=\"\"").count(), 2, "{html}");
}

/// Inputs that once took quadratic time or gigabytes: each is linear or refused at its line.
/// The bounds are generous (a debug build on a busy machine); they catch quadratic behaviour,
/// which takes minutes at these sizes.
fn within(limit_seconds: u64, body: &str) -> Vec<String> {
    let start = Instant::now();
    let (_, problems) = page(body);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(limit_seconds), "took {took:?}");
    problems
}

#[test]
fn twenty_thousand_equal_headings_get_unique_ids_in_linear_time() {
    let problems = within(30, &"## Same\n\n".repeat(20_000));
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn deep_nesting_is_refused_at_its_line() {
    let quotes = format!("Intro\n\n{} deep\n", ">".repeat(50_000));
    assert_eq!(
        within(30, &quotes),
        ["content/page.md:6:101: error: this is nested more than 100 levels deep"]
    );
    let lists = format!("{} deep\n", "- ".repeat(50_000));
    assert_eq!(
        within(30, &lists),
        ["content/page.md:4:101: error: this is nested more than 100 levels deep"]
    );
    let divs = "<div>\n".repeat(50_000);
    assert_eq!(
        within(30, &divs),
        ["content/page.md:4:1: error: this is nested more than 100 levels deep"]
    );
    let closed_divs = format!(
        "<div>{}{}\n",
        "<div>".repeat(50_000),
        "</div>".repeat(50_001)
    );
    assert_eq!(
        within(30, &closed_divs),
        ["content/page.md:4:1: error: this is nested more than 100 levels deep"]
    );
}

#[test]
fn many_pictures_and_code_blocks_one_after_another_are_not_nesting() {
    let (html, problems) = page_with(
        &[(
            "static/hall.svg",
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"/>"#,
        )],
        &"![A hall](/hall.svg)\n\n```rust\nlet a = 1;\n```\n\n    indented\n\n".repeat(150),
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(html.matches("<img ").count(), 150);
}

#[test]
fn a_huge_table_and_a_huge_code_block_are_refused_at_their_line() {
    let mut table = format!("|{}\n|{}\n", "h|".repeat(2_000), "-|".repeat(2_000));
    for _ in 0..2_000 {
        table.push_str(&format!("|{}\n", "x|".repeat(2_000)));
    }
    assert_eq!(
        within(30, &table),
        ["content/page.md:53:3903: error: this page has more than 100000 table cells"]
    );
    let code = format!("Intro\n\n```rust\n{}```\n", "let a = 1;\n".repeat(100_000));
    assert_eq!(
        within(30, &code),
        ["content/page.md:6:1: error: this code block is longer than 5000 lines or 256 KB"]
    );
    let one_line = format!("```rust\n{}\n```\n", "let a = 1; ".repeat(100_000));
    assert_eq!(
        within(30, &one_line),
        ["content/page.md:4:1: error: this code block is longer than 5000 lines or 256 KB"]
    );
}

#[test]
fn many_removals_by_the_sanitiser_take_linear_time() {
    // Every piece is a different element, so that none is checked only once.
    let body: String = (0..40_000).map(|i| format!("<x-{i}>a</x-{i}> ")).collect();
    let problems = within(90, &body);
    assert_eq!(problems.len(), 21, "{problems:?}");
    assert!(
        problems.contains(&"content/page.md:4:1: warning: 39980 more pieces of HTML in this page were made safe in the same way".to_string()),
        "{problems:?}"
    );
}

#[test]
fn the_model_keeps_a_page_s_markdown_only_as_rendered_so_memory_does_not_hold_it_twice() {
    let site = fixture("markdown");
    write(
        site.path(),
        "content/page.md",
        "---\ntitle: Page\n---\nSome *words* here.\n",
    );
    let options = Options {
        root: site.path().to_path_buf(),
        ..Options::default()
    };
    let (site, _) = pipeline::load(&options).expect("the fixture builds");
    let page = site
        .pages
        .iter()
        .find(|p| p.source.content_path == "page.md")
        .expect("the page is published");
    assert!(
        page.rendered
            .html
            .read()
            .unwrap()
            .contains("<em>words</em>")
    );
    assert!(site.pages.iter().all(|p| p.source.body.is_empty()));
}
