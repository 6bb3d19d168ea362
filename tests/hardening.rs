//! Hostile or unusual files: links that lead out of the site or loop, oversized pages, and
//! YAML made to exhaust memory. Each gets a clear error and nothing leaks into the output.

mod common;

use std::os::unix::fs::symlink;

use common::{fixture, run, stderr, write};

#[test]
fn a_link_to_a_file_outside_the_site_is_never_read_or_published() {
    let site = fixture("kinds");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("id_rsa");
    std::fs::write(&secret, "PRIVATE KEY").unwrap();
    std::fs::create_dir_all(site.path().join("static")).unwrap();
    symlink(&secret, site.path().join("static/key.txt")).unwrap();
    symlink(&secret, site.path().join("content/key.md")).unwrap();

    let output = run("build", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    for file in ["content/key.md", "static/key.txt"] {
        assert!(
            text.contains(&format!(
                "{file}:1:1: error: this is a link to {}",
                secret.canonicalize().unwrap().display()
            )),
            "{text}"
        );
    }
    assert!(text.contains("outside the site folder, so it is not read or published"));
    assert!(!site.path().join("public").exists());
}

#[test]
fn a_link_loop_is_reported_and_does_not_hang_the_walk() {
    let site = fixture("kinds");
    symlink("loop-b.md", site.path().join("content/loop-a.md")).unwrap();
    symlink("loop-a.md", site.path().join("content/loop-b.md")).unwrap();
    symlink("..", site.path().join("content/case-studies/up")).unwrap();
    let output = run("check", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains(
        "content/loop-a.md:1:1: error: this is a link that leads nowhere, or round in a loop"
    ));
    assert!(text.contains("content/case-studies/up:1:1: error: this is a link to a folder"));
}

#[test]
fn a_link_to_a_file_inside_the_site_is_followed() {
    let site = fixture("kinds");
    write(site.path(), "shared/notice.txt", "Hall closed on Monday");
    std::fs::create_dir_all(site.path().join("static")).unwrap();
    symlink(
        site.path().join("shared/notice.txt"),
        site.path().join("static/notice.txt"),
    )
    .unwrap();
    let output = run("build", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(site.path().join("public/notice.txt")).unwrap(),
        "Hall closed on Monday"
    );
}

fn big_page(megabytes: usize) -> String {
    let paragraph =
        "Volunteers met at the village hall to plan the summer fete and the litter pick. "
            .repeat(12);
    let mut text = String::from("---\ntitle: A very long page\n---\n");
    while text.len() < megabytes * 1024 * 1024 {
        text.push_str("## A section\n\n");
        text.push_str(&paragraph);
        text.push_str("\n\n");
    }
    text
}

#[test]
fn a_five_megabyte_page_builds() {
    let site = fixture("kinds");
    write(site.path(), "content/long.md", &big_page(5));
    let output = run("build", site.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let html = std::fs::read_to_string(site.path().join("public/long/index.html")).unwrap();
    assert!(html.len() > 5 * 1024 * 1024);
    assert!(
        html.contains("id=\"a-section-1000\""),
        "heading ids stay unique"
    );
}

#[test]
fn a_page_over_the_size_limit_is_refused_unread() {
    let site = fixture("kinds");
    let config = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!("{config}max_file_mb: 1\n"),
    );
    write(site.path(), "content/long.md", &big_page(2));
    let output = run("check", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "content/long.md:1:1: error: this file is 2.0 MB, more than the 1 MB a page may be"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn yaml_alias_expansion_is_refused_quickly() {
    let site = fixture("kinds");
    let mut front = String::from("---\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..10 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        front.push_str(&format!("b{i}: &b{i} [{refs}]\n"));
    }
    front.push_str("---\nBody\n");
    write(site.path(), "content/bomb.md", &front);
    let output = run("check", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("content/bomb.md:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn deeply_nested_yaml_is_refused_with_an_error() {
    let site = fixture("kinds");
    let depth = 10_000;
    let front = format!(
        "---\ntitle: Deep\ntags: {}{}\n---\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    write(site.path(), "content/deep.md", &front);
    let output = run("check", site.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("content/deep.md:3:"), "{text}");
    assert!(!text.contains("panicked"));
}

/// Inputs fuzzing once stopped at, kept so they are tried on every run.
#[test]
fn fuzz_regressions_render_inert() {
    use communities::markdown::{Context, render};
    use communities::sanitize::Sanitizer;
    let sanitizer = Sanitizer::new(&[]);
    let dir = common::fixtures().join("fuzz-regressions");
    let mut tried = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let body =
            String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap()).into_owned();
        let ctx = Context {
            path: std::path::Path::new("content/a.md"),
            content_path: "a.md",
            first_line: 1,
            base_path: "",
            sanitizer: Some(&sanitizer),
            pictures: None,
        };
        let (rendered, _) = render(&body, &ctx, &|_| None);
        let document = scraper::Html::parse_fragment(&rendered.html);
        for element in document
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
        {
            for (name, value) in element.value().attrs() {
                assert!(!name.starts_with("on"), "{name}");
                assert!(
                    !value
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("javascript:"),
                    "{value}"
                );
            }
        }
        tried += 1;
    }
    assert!(tried > 0, "no regression inputs in {}", dir.display());
}
