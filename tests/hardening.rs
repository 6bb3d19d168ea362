//! Hostile or unusual files: links that lead out of the site or loop, oversized pages, and
//! YAML made to exhaust memory. Each gets a clear error and nothing leaks into the output.

mod common;

use std::os::unix::fs::symlink;

use common::{fixture, run, stderr, write};
use communities::pipeline::{self, Options};

/// Every problem `check` finds in a site, one line each with its hint, as the terminal shows.
fn check_problems(root: &std::path::Path) -> String {
    let options = Options {
        root: root.to_path_buf(),
        ..Options::default()
    };
    match pipeline::check(&options) {
        Ok(_) => String::new(),
        Err(problems) => problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn assert_has(text: &str, expected: &str) {
    assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
}

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
                "{file}: error: this is a link to {}",
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
        "content/loop-a.md: error: this is a link that leads nowhere, or round in a loop"
    ));
    assert!(text.contains("content/case-studies/up: error: this is a link to a folder"));
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
            "content/long.md: error: this file is 2.0 MB, more than the 1 MB a page may be"
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
        let document = scraper::Html::parse_fragment(&rendered.html.read().unwrap());
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

#[test]
fn content_files_that_could_script_the_site_are_refused_and_nothing_is_written() {
    let site = fixture("kinds");
    let root = site.path();
    for (file, text) in [
        ("content/page.html", "<script src=\"helper.js\"></script>"),
        ("content/helper.js", "alert(1)"),
        ("content/search.js", "alert(1)"),
        ("content/style.css", "body{display:none}"),
        ("content/logo.svg", "<svg onload=\"alert(1)\"/>"),
        ("content/_redirects", "/* https://elsewhere.example 301!"),
        ("content/_headers", "/*\n  X-Frame-Options: ALLOW"),
    ] {
        write(root, file, text);
    }
    let problems = check_problems(root);
    for (file, message, hint) in [
        (
            "content/page.html",
            "a .html file cannot be published from content/: it is not checked, and could run scripts on the site",
            "write the page in Markdown as page.md",
        ),
        (
            "content/helper.js",
            "a .js file cannot be published from content/",
            "belong to the theme",
        ),
        (
            "content/search.js",
            "a .js file cannot be published from content/",
            "belong to the theme",
        ),
        (
            "content/style.css",
            "a .css file cannot be published from content/",
            "belong to the theme",
        ),
        (
            "content/logo.svg",
            "an SVG picture can hold scripts",
            "save the picture as PNG",
        ),
        (
            "content/_redirects",
            "_redirects has no file type",
            "files published from content/ are pictures and documents",
        ),
        (
            "content/_headers",
            "_headers has no file type",
            "files published from content/ are pictures and documents",
        ),
    ] {
        assert_has(&problems, &format!("{file}: error: {message}"));
        let line = problems
            .lines()
            .skip_while(|l| !l.starts_with(file))
            .nth(1)
            .unwrap();
        assert_has(line, hint);
    }
    let output = run("build", root, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!root.join("public").exists());
}

#[test]
fn pages_saved_with_the_wrong_extension_are_named_with_the_rename() {
    let site = fixture("kinds");
    let root = site.path();
    let page = "---\ntitle: Hall news\n---\nNews.\n";
    for name in ["upper.MD", "long.markdown", "twice.md.txt", "plain.txt"] {
        write(root, &format!("content/{name}"), page);
    }
    let problems = check_problems(root);
    for (name, stem) in [
        ("upper.MD", "upper"),
        ("long.markdown", "long"),
        ("twice.md.txt", "twice"),
        ("plain.txt", "plain"),
    ] {
        assert_has(
            &problems,
            &format!(
                "content/{name}: error: this looks like a page, but only files ending in .md are built, so it would never appear on the site\n  hint: rename it to {stem}.md"
            ),
        );
    }
}

#[test]
fn office_documents_must_be_attached_to_a_page_bundle() {
    let site = fixture("kinds");
    let root = site.path();
    for name in [
        "minutes.docx",
        "old.doc",
        "notes.odt",
        "plan.pages",
        "about/notice.txt",
    ] {
        write(root, &format!("content/{name}"), "not a page");
    }
    let problems = check_problems(root);
    for name in [
        "minutes.docx",
        "old.doc",
        "notes.odt",
        "plan.pages",
        "about/notice.txt",
    ] {
        let extension = name.rsplit('.').next().unwrap();
        assert_has(
            &problems,
            &format!(
                "content/{name}: error: this .{extension} document is not attached to a page, so it would not be published\n  hint: attach it to a resource: put it in the resource's folder beside its index.md and list it under `attachments:`"
            ),
        );
    }

    let site = fixture("kinds");
    let root = site.path();
    write(
        root,
        "content/resources/village-hall-toolkit/form.docx",
        "form",
    );
    let output = run("build", root, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        root.join("public/resources/village-hall-toolkit/form.docx")
            .is_file()
    );
}

#[test]
fn every_output_path_has_one_owner_in_check_too() {
    let site = fixture("kinds");
    let root = site.path();
    for (file, text) in [
        ("static/robots.txt", "User-agent: *\nDisallow: /"),
        ("static/_redirects", "/* https://elsewhere.example 301!"),
        ("static/style.css", "body{display:none}"),
        ("static/404.html", "gone"),
        ("static/about/index.html", "<p>not the about page</p>"),
        ("content/search/results.pdf", "%PDF"),
        ("content/hall.pdf", "%PDF"),
        ("static/hall.pdf", "%PDF"),
        (
            "content/robots.md",
            "---\ntitle: Robots\nslug: robots.txt\n---\n",
        ),
        ("content/areas.md", "---\ntitle: Areas\n---\n"),
        ("content/tags/village-halls.md", "---\ntitle: Halls\n---\n"),
        ("static/old/notice.pdf", "%PDF"),
        (
            "content/notice.md",
            "---\ntitle: Notice\naliases: [/old/notice.pdf]\n---\n",
        ),
    ] {
        write(root, file, text);
    }
    let problems = check_problems(root);
    for expected in [
        "content/notice.md:3:11: error: the alias /old/notice.pdf is already the address of the file /old/notice.pdf",
        "static/robots.txt: error: static/robots.txt would be published at /robots.txt, where it clashes with the site's own /robots.txt",
        "static/_redirects: error: static/_redirects would be published at /_redirects, where it clashes with the site's own /_redirects",
        "static/style.css: error: static/style.css would be published at /style.css, where it clashes with the theme's style.css",
        "static/404.html: error: static/404.html would be published at /404.html, where it clashes with the site's own /404.html",
        "static/about/index.html: error: static/about/index.html would be published at /about/, where it clashes with the page content/about.md",
        "content/search/results.pdf: error: content/search/results.pdf would be published at /search/results.pdf, where it clashes with the site's search index (search/)",
        "content/hall.pdf: error: content/hall.pdf would be published at /hall.pdf, where it clashes with static/hall.pdf",
        "content/robots.md: error: the page content/robots.md would be published at /robots.txt/, where it clashes with the site's own /robots.txt",
        "content/areas.md: error: the list of Areas would be published at /areas/, where it clashes with the page content/areas.md",
        "content/tags/village-halls.md: error: the listing of the tags \"village-halls\" would be published at /tags/village-halls/, where it clashes with the page content/tags/village-halls.md",
    ] {
        assert_has(&problems, expected);
    }
    let output = run("build", root, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!root.join("public").exists());
}

#[test]
fn files_beside_a_draft_bundles_page_are_not_published() {
    let site = fixture("kinds");
    let root = site.path();
    write(
        root,
        "content/plans/index.md",
        "---\ntitle: Plans\ndraft: true\n---\nSecret.\n",
    );
    write(root, "content/plans/budget.pdf", "%PDF secret budget");
    write(root, "content/plans/photos/site.png", "png");
    let output = run("build", root, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!root.join("public/plans").exists());
    let published: Vec<_> = walkdir::WalkDir::new(root.join("public"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "budget.pdf" || e.file_name() == "site.png")
        .map(|e| e.path().to_path_buf())
        .collect();
    assert!(published.is_empty(), "{published:?}");

    let output = run("build", root, &["--drafts"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(root.join("public/plans/budget.pdf").is_file());
}

#[test]
fn links_to_hidden_files_inside_the_site_are_never_read_or_published() {
    let site = fixture("kinds");
    let root = site.path();
    write(
        root,
        ".git/config",
        "[remote] url = https://token@example.org",
    );
    write(root, ".env", "SECRET=1");
    std::fs::create_dir_all(root.join("static")).unwrap();
    symlink(root.join(".git/config"), root.join("static/config.txt")).unwrap();
    symlink(
        root.join(".env"),
        root.join("content/resources/village-hall-toolkit/env.pdf"),
    )
    .unwrap();
    // A hidden link in a bundle, named by an attachment: the walk skips it, and the
    // attachment must not reach through it either.
    symlink(
        root.join(".env"),
        root.join("content/resources/village-hall-toolkit/.notes.txt"),
    )
    .unwrap();
    let page = root.join("content/resources/village-hall-toolkit/index.md");
    let text = std::fs::read_to_string(&page)
        .unwrap()
        .replace("checklist.txt", ".notes.txt");
    std::fs::write(&page, text).unwrap();

    let problems = check_problems(root);
    assert_has(
        &problems,
        "static/config.txt: error: this is a link to the hidden file .git/config, so it is not read or published",
    );
    assert_has(
        &problems,
        "content/resources/village-hall-toolkit/env.pdf: error: this is a link to the hidden file .env, so it is not read or published",
    );
    assert_has(
        &problems,
        "content/resources/village-hall-toolkit/index.md:",
    );
    assert!(problems.contains(".notes.txt"), "{problems}");
    let output = run("build", root, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!root.join("public").exists());
}

/// The build's leftovers beside the output: none once a build has finished.
fn building_folders(root: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".public.building-"))
        .collect()
}

#[test]
fn a_build_killed_at_any_step_of_the_swap_leaves_a_whole_site_and_the_next_cleans_up() {
    use std::os::unix::process::ExitStatusExt;
    let site = fixture("kinds");
    let root = site.path();
    let output = run("build", root, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let about = root.join("content/about.md");
    for (step, edit) in [("staged", "first"), ("swapped", "second")] {
        let text = std::fs::read_to_string(&about).unwrap();
        std::fs::write(&about, format!("{text}\n\nEdit {edit}.\n")).unwrap();
        let killed = std::process::Command::new(env!("CARGO_BIN_EXE_communities"))
            .args(["build", "--root", root.to_str().unwrap()])
            .env(communities::output::KILL_AT_VARIABLE, step)
            .output()
            .unwrap();
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "{step}: {}",
            stderr(&killed)
        );
        // Either site is whole: its every page is there.
        for page in [
            "index.html",
            "about/index.html",
            "case-studies/index.html",
            "sitemap.xml",
        ] {
            assert!(root.join("public").join(page).is_file(), "{step}: {page}");
        }
        assert!(
            !building_folders(root).is_empty(),
            "{step}: the kill left nothing to clean"
        );

        let output = run("build", root, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(building_folders(root), Vec::<String>::new(), "{step}");
        let html = std::fs::read_to_string(root.join("public/about/index.html")).unwrap();
        assert!(html.contains(&format!("Edit {edit}.")), "{step}");
    }
}

/// Makes `file` impossible to delete: by its folder's permissions for a user, or with the
/// immutable attribute for root (whom permissions do not stop). `false` when neither works
/// here (say, a file system without attributes).
fn pin(file: &std::path::Path, pinned: bool) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let folder = file.parent().unwrap();
    if running_as_root() {
        let flag = if pinned { "+i" } else { "-i" };
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(file)
            .status()
            .is_ok_and(|s| s.success())
    } else {
        let mode = if pinned { 0o555 } else { 0o755 };
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(mode)).is_ok()
    }
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn an_old_site_that_cannot_be_deleted_is_reported_as_such_and_the_build_succeeds() {
    // Beside the build, not in a memory file system, so that attributes work.
    let site = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = site.path();
    common::copy_dir(&common::fixtures().join("kinds"), root);
    let output = run("build", root, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stuck = root.join("public/about/index.html");
    if !pin(&stuck, true) {
        eprintln!("cannot make a file undeletable here; nothing to test");
        return;
    }
    write(
        root,
        "content/about.md",
        "---\ntitle: About us\n---\nNew text.\n",
    );
    let output = run("build", root, &[]);
    // The old site, pinned file and all, is left beside the new one.
    let left = building_folders(root);
    for folder in &left {
        pin(&root.join(folder).join("about/index.html"), false);
    }
    assert_eq!(left.len(), 1, "{left:?}");
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("warning: the new site is in place at ")
            && text.contains("but the previous one could not be deleted from ")
            && text.contains(".public.building-"),
        "{text}"
    );
    assert!(text.contains("hint: delete that folder yourself; the next build tries again"));
    let html = std::fs::read_to_string(root.join("public/about/index.html")).unwrap();
    assert!(html.contains("New text."));
    let output = run("build", root, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(building_folders(root), Vec::<String>::new());
}
