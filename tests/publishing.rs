//! What a built site publishes besides its pages, and whether it is safe to publish: the feed,
//! the sitemap, redirects, hashed assets, page metadata, links under a subpath, and HTML that
//! runs nothing a content author wrote.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, fixtures, read, run, stderr, stdout, write};
use scraper::{Html, Selector};

const SUBPATH_BASE: &str = "https://example.org/communities/";

/// Builds a copy of a fixture site into its `public/`, which must succeed.
fn build(name: &str, extra: &[&str]) -> tempfile::TempDir {
    build_changed(name, &[], extra).0
}

/// Builds a copy of a fixture site with some files written over first; the build must succeed.
fn build_changed(
    name: &str,
    files: &[(&str, &str)],
    extra: &[&str],
) -> (tempfile::TempDir, std::process::Output) {
    let site = fixture(name);
    for (path, text) in files {
        write(site.path(), path, text);
    }
    let output = run("build", site.path(), extra);
    assert!(output.status.success(), "{}", stderr(&output));
    (site, output)
}

/// Builds this repository's own site into a temporary folder.
fn build_repository_site() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let args = ["--output", target.to_str().unwrap()];
    let output = run("build", Path::new(env!("CARGO_MANIFEST_DIR")), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    out
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.into_path())
        .collect();
    assert!(!files.is_empty(), "no HTML in {}", dir.display());
    files
}

fn select<'a>(html: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(selector).unwrap()).collect()
}

fn attr<'a>(html: &'a Html, selector: &str, name: &str) -> Option<&'a str> {
    select(html, selector)
        .first()
        .and_then(|e| e.value().attr(name))
}

/// Everything in a built folder that a browser would run, or that would break the
/// Content-Security-Policy in netlify.toml, as "file: what" lines.
fn runnable_markup(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in html_files(dir) {
        let shown = file.strip_prefix(dir).unwrap().display().to_string();
        let html = Html::parse_document(&std::fs::read_to_string(&file).unwrap());
        for element in html.root_element().descendent_elements() {
            let name = element.value().name();
            if name == "script" {
                match element.value().attr("type") {
                    Some("application/ld+json") => {
                        let text: String = element.text().collect();
                        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                            found.push(format!("{shown}: JSON-LD that is not JSON ({e})"));
                        }
                    }
                    _ if element.value().attr("src").is_some() => {}
                    _ => found.push(format!("{shown}: inline <script>")),
                }
            }
            if name == "style" {
                found.push(format!("{shown}: inline <style>"));
            }
            for (attribute, value) in element.value().attrs() {
                if attribute.starts_with("on") {
                    found.push(format!("{shown}: {attribute} on <{name}>"));
                }
                if attribute == "style" {
                    found.push(format!("{shown}: style attribute on <{name}>"));
                }
                let scheme = value.trim().to_ascii_lowercase();
                if matches!(attribute, "href" | "src" | "action" | "formaction")
                    && (scheme.starts_with("javascript:") || scheme.starts_with("data:"))
                {
                    found.push(format!("{shown}: {attribute}={value:?} on <{name}>"));
                }
            }
        }
    }
    found
}

#[test]
fn sitemap_validates_against_the_sitemaps_org_schema() {
    let site = build("publishing", &[]);
    let sitemap = site.path().join("public/sitemap.xml");
    let schema = fixtures().join("schemas/sitemap.xsd");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&sitemap)
        .output()
        .expect("xmllint must be installed to check the sitemap (Debian package libxml2-utils)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = read(site.path(), "public/sitemap.xml");
    for loc in [
        "https://example.org/",
        "https://example.org/about/",
        "https://example.org/case-studies/older/",
        "https://example.org/areas/blaby/",
    ] {
        assert!(text.contains(&format!("<loc>{loc}</loc>")), "{loc}\n{text}");
    }
    assert!(
        text.contains(
            "<loc>https://example.org/case-studies/hall-bundle/</loc>\n    <lastmod>2021-08-15</lastmod>"
        ),
        "{text}"
    );
    assert!(
        text.contains("<loc>https://example.org/</loc>\n    <lastmod>2021-08-15</lastmod>"),
        "the home page shows the newest case study: {text}"
    );
    assert!(!text.contains("404.html"));
    assert!(!text.contains("about-us"), "aliases are not pages: {text}");
}

#[test]
fn robots_txt_points_at_the_sitemap() {
    let site = build("publishing", &["--base-url", SUBPATH_BASE]);
    let robots = read(site.path(), "public/robots.txt");
    assert!(robots.starts_with("User-agent: *\n"));
    assert!(robots.contains("\nSitemap: https://example.org/communities/sitemap.xml\n"));
}

#[test]
fn atom_feed_lists_case_studies_newest_first_with_summaries_and_updated_dates() {
    let site = build("publishing", &[]);
    let bytes = std::fs::read(site.path().join("public/atom.xml")).unwrap();
    let feed = feed_rs::parser::parse(bytes.as_slice()).expect("a valid Atom feed");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["The village hall", "The older case study"]);
    let hall = &feed.entries[0];
    assert_eq!(hall.id, "https://example.org/case-studies/hall-bundle/");
    assert_eq!(hall.updated.unwrap().date_naive().to_string(), "2021-08-15");
    assert_eq!(
        hall.published.unwrap().date_naive().to_string(),
        "2021-06-01"
    );
    assert_eq!(
        hall.links[0].href,
        "https://example.org/case-studies/hall-bundle/"
    );
    let older = &feed.entries[1];
    assert_eq!(
        older.summary.as_ref().unwrap().content,
        "What happened first & why it mattered."
    );
    assert_eq!(feed.updated.unwrap().date_naive().to_string(), "2021-08-15");
    assert!(
        feed.links
            .iter()
            .any(|l| l.rel.as_deref() == Some("self") && l.href == "https://example.org/atom.xml")
    );
}

#[test]
fn every_alias_has_a_forced_301_rule_and_a_redirect_page() {
    let site = build("publishing", &["--base-url", SUBPATH_BASE]);
    let public = site.path().join("public");
    let rules = read(&public, "_redirects");
    let lines: Vec<Vec<&str>> = rules.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(
        lines,
        [
            ["/communities/about-us/", "/communities/about/", "301!"],
            ["/communities/old/about.html", "/communities/about/", "301!"],
            [
                "/communities/projects/older/",
                "/communities/case-studies/older/",
                "301!"
            ],
        ]
    );
    for (page, target, permalink) in [
        (
            "about-us/index.html",
            "/communities/about/",
            "https://example.org/communities/about/",
        ),
        (
            "old/about.html",
            "/communities/about/",
            "https://example.org/communities/about/",
        ),
        (
            "projects/older/index.html",
            "/communities/case-studies/older/",
            "https://example.org/communities/case-studies/older/",
        ),
    ] {
        let html = Html::parse_document(&read(&public, page));
        assert_eq!(
            attr(&html, "meta[http-equiv=refresh]", "content"),
            Some(format!("0; url={target}").as_str()),
            "{page}"
        );
        assert_eq!(attr(&html, "link[rel=canonical]", "href"), Some(permalink));
        assert_eq!(attr(&html, "body a", "href"), Some(target));
    }
}

/// What building the fixture says when `older.md` has these `aliases` lines; the build fails.
fn alias_errors(aliases: &str) -> String {
    let site = fixture("publishing");
    write(
        site.path(),
        "content/case-studies/older.md",
        &format!("---\ntitle: Older\nsummary: S.\ndate: \"2021-01-10\"\n{aliases}---\nBody.\n"),
    );
    let output = run("build", site.path(), &[]);
    assert!(!output.status.success());
    assert!(!site.path().join("public").exists());
    stderr(&output)
}

#[test]
fn an_alias_that_is_already_a_page_address_is_an_error_at_its_line() {
    let err = alias_errors("aliases:\n  - /projects/older/\n  - /about/\n");
    assert!(
        err.contains(
            "content/case-studies/older.md:7:5: error: the alias /about/ is already the address of the page /about/"
        ),
        "{err}"
    );
    assert!(err.contains("hint: remove this alias"), "{err}");
}

#[test]
fn an_alias_that_is_not_a_site_path_is_an_error_at_its_line() {
    let err = alias_errors("aliases: [old-page]\n");
    assert!(
        err.contains(
            "content/case-studies/older.md:5:11: error: the alias \"old-page\" is not a path on this site"
        ),
        "{err}"
    );
}

#[test]
fn a_non_ascii_alias_is_a_page_at_its_own_path_and_a_percent_encoded_rule() {
    let (site, _) = build_changed(
        "publishing",
        &[(
            "content/case-studies/older.md",
            "---\ntitle: Older\nsummary: S.\ndate: \"2021-01-10\"\naliases:\n  - /projets/café\n  - /caf%C3%A9s/\n---\nBody.\n",
        )],
        &[],
    );
    let public = site.path().join("public");
    let rules = read(&public, "_redirects");
    assert!(
        rules.contains("/projets/caf%C3%A9/ /case-studies/older/ 301!\n"),
        "{rules}"
    );
    assert!(
        rules.contains("/caf%C3%A9s/ /case-studies/older/ 301!\n"),
        "{rules}"
    );
    assert!(public.join("projets/café/index.html").is_file());
    assert!(public.join("cafés/index.html").is_file());
}

#[test]
fn an_alias_with_a_redirect_placeholder_is_an_error_at_its_line() {
    let err = alias_errors("aliases:\n  - /news/:year/\n  - /events/*\n");
    for (line, alias) in [(6, "/news/:year/"), (7, "/events/*")] {
        assert!(
            err.contains(&format!(
                "content/case-studies/older.md:{line}:5: error: the alias \"{alias}\" has a `*` or `:`, which a redirect rule reads as a placeholder for other addresses"
            )),
            "{err}"
        );
    }
    assert!(err.contains("hint: write one old address exactly"), "{err}");
}

#[test]
fn an_alias_with_a_character_a_path_cannot_hold_is_an_error_at_its_line() {
    let err = alias_errors("aliases: [\"/old|page/\"]\n");
    assert!(
        err.contains(
            "content/case-studies/older.md:5:12: error: the alias \"/old|page/\" is not a path on this site"
        ),
        "{err}"
    );
    assert!(
        err.contains("hint: use letters, digits, hyphens and slashes"),
        "{err}"
    );
}

#[test]
fn a_source_url_that_is_not_a_web_address_is_an_error_at_its_line() {
    let site = fixture("publishing");
    write(
        site.path(),
        "content/resources/guide.md",
        "---\ntitle: Guide\nsummary: S.\nsource_url: javascript:alert(1)\n---\nBody.\n",
    );
    let output = run("check", site.path(), &[]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains(
            "content/resources/guide.md:4:13: error: the source_url \"javascript:alert(1)\" is not a web address"
        ),
        "{err}"
    );
}

#[test]
fn no_built_page_has_inline_script_style_or_event_handlers() {
    for site in [build("publishing", &[]), build("hostile", &[])] {
        let found = runnable_markup(&site.path().join("public"));
        assert!(found.is_empty(), "{found:#?}");
    }
    let repository = build_repository_site();
    let found = runnable_markup(&repository.path().join("public"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn hostile_markdown_and_front_matter_come_out_inert() {
    let (site, output) = build_changed("hostile", &[], &[]);
    let public = site.path().join("public");
    assert!(runnable_markup(&public).is_empty());

    let page = read(&public, "case-studies/attack/index.html");
    let html = Html::parse_document(&page);
    let title = "Breaking out </script><script>alert(\"title\")</script>";
    let shown: String = select(&html, "h1")[0].text().collect();
    assert_eq!(shown, title, "the title is shown as text, as written");
    let scripts = select(&html, "script");
    assert_eq!(scripts.len(), 1, "only the JSON-LD: {page}");
    let json: String = scripts[0].text().collect();
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(data["headline"], title);
    let organisation: String = select(&html, ".facts dd")
        .iter()
        .map(|d| d.text().collect::<String>())
        .collect();
    assert!(organisation.contains("\" onmouseover=\"alert(1)"));
    let body: String = select(&html, ".prose")[0].html();
    for gone in [
        "alert",
        "javascript:",
        "<iframe",
        "<svg",
        "<form",
        "evil.example",
    ] {
        assert!(!body.contains(gone), "{gone} in {body}");
    }
    assert!(body.contains("<b>bold</b>"), "formatting stays: {body}");

    let err = stderr(&output);
    for (at, what) in [
        ("content/case-studies/attack.md:13:1: warning", "<script>"),
        (
            "content/case-studies/attack.md:15:8: warning",
            "the event handler onerror on <img>",
        ),
        (
            "content/case-studies/attack.md:19:3: warning",
            "javascript:alert('link')",
        ),
        ("content/case-studies/attack.md:23:1: warning", "<style>"),
        ("content/case-studies/attack.md:25:1: warning", "<iframe>"),
    ] {
        assert!(
            err.lines().any(|l| l.starts_with(at) && l.contains(what)),
            "{at} {what}\n{err}"
        );
    }
}

#[test]
fn switching_sanitising_off_keeps_raw_html_and_warns_in_the_summary() {
    let (site, output) = build_changed(
        "publishing",
        &[
            (
                "site.yaml",
                "title: Trusted\nbase_url: https://example.org/\nhtml:\n  sanitize: false\n",
            ),
            (
                "content/about.md",
                "---\ntitle: About\n---\n<p data-note=\"kept\">As written.</p>\n",
            ),
        ],
        &[],
    );
    assert!(
        stderr(&output)
            .contains("site.yaml:4:1: warning: raw HTML in Markdown is published as written"),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("with 1 warning"),
        "{}",
        stdout(&output)
    );
    assert!(read(site.path(), "public/about/index.html").contains("<p data-note=\"kept\">"));
}

fn hashed_files(dir: &Path, stem: &str, extension: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.strip_prefix(&format!("{stem}."))
                .and_then(|rest| rest.strip_suffix(&format!(".{extension}")))
                .is_some_and(|hash| hash.len() == 10 && hash.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .collect()
}

#[test]
fn stylesheets_and_scripts_are_published_minified_under_content_hashes() {
    let site = build("publishing", &["--base-url", SUBPATH_BASE]);
    let public = site.path().join("public");
    assert!(!public.join("style.css").exists());
    assert!(!public.join("js/app.js").exists());
    let styles = hashed_files(&public, "style", "css");
    assert_eq!(styles.len(), 1, "{styles:?}");
    // Published minified: the theme's comments and line breaks are gone, its rules are there.
    let style = read(&public, &styles[0]);
    assert!(
        !style.contains("/*") && style.lines().count() <= 1,
        "{style}"
    );
    assert!(style.contains(":root{"), "{style}");
    assert_eq!(hashed_files(&public, "highlight", "css").len(), 1);
    assert_eq!(hashed_files(&public.join("js"), "app", "js").len(), 1);
    let home = Html::parse_document(&read(&public, "index.html"));
    let links: Vec<&str> = select(&home, "link[rel=stylesheet]")
        .iter()
        .filter_map(|l| l.value().attr("href"))
        .collect();
    assert!(
        links.contains(&format!("/communities/{}", styles[0]).as_str()),
        "{links:?}"
    );

    // A changed stylesheet gets a new name.
    let (changed, _) = build_changed(
        "publishing",
        &[("themes/default/static/style.css", "body { margin: 0 }\n")],
        &[],
    );
    let restyled = hashed_files(&changed.path().join("public"), "style", "css");
    assert_eq!(restyled.len(), 1);
    assert_ne!(restyled, styles);
}

#[test]
fn highlighted_code_uses_classes_from_the_generated_stylesheet() {
    let site = build("publishing", &[]);
    let public = site.path().join("public");
    let page = Html::parse_document(&read(&public, "case-studies/hall-bundle/index.html"));
    let blocks = select(&page, "pre");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].value().attr("class"), Some("hl-code"));
    assert!(blocks[0].html().contains("class=\"hl-"));
    assert!(
        blocks[0]
            .text()
            .collect::<String>()
            .contains("return f\"<b>{day}</b>\"")
    );
    assert_eq!(
        blocks[1].value().attr("class"),
        None,
        "no language: plain code"
    );
    let css = read(&public, &hashed_files(&public, "highlight", "css")[0]);
    assert!(css.contains(".hl-code"));
    assert!(
        css.contains("@media (prefers-color-scheme:dark)"),
        "minified: {css}"
    );
}

#[test]
fn pages_carry_description_canonical_open_graph_twitter_and_json_ld() {
    let site = build("publishing", &[]);
    let public = site.path().join("public");
    let hall = Html::parse_document(&read(&public, "case-studies/hall-bundle/index.html"));
    let meta = |name: &str| {
        attr(
            &hall,
            &format!("meta[name=\"{name}\"], meta[property=\"{name}\"]"),
            "content",
        )
        .map(str::to_string)
    };
    assert_eq!(
        meta("description").as_deref(),
        Some("A hall that became a hub.")
    );
    assert_eq!(
        attr(&hall, "link[rel=canonical]", "href"),
        Some("https://example.org/case-studies/hall-bundle/")
    );
    assert_eq!(meta("og:title").as_deref(), Some("The village hall"));
    assert_eq!(meta("og:type").as_deref(), Some("article"));
    // The widest copy every browser shows stands for the picture, whose original is not published.
    let og_image = meta("og:image").unwrap();
    assert!(
        og_image.starts_with("https://example.org/pictures/hall-800.")
            && og_image.ends_with(".jpg"),
        "{og_image}"
    );
    assert_eq!(
        meta("og:image:alt").as_deref(),
        Some("The village hall at dusk")
    );
    assert_eq!(meta("twitter:card").as_deref(), Some("summary_large_image"));
    let json: String = select(&hall, "script[type=\"application/ld+json\"]")[0]
        .text()
        .collect();
    let article: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(article["@type"], "Article");
    assert_eq!(article["headline"], "The village hall");
    assert_eq!(article["datePublished"], "2021-06-01");
    assert_eq!(article["dateModified"], "2021-08-15");
    assert_eq!(article["image"], og_image.as_str());
    assert_eq!(article["publisher"]["name"], "Fixture Communities");

    let home = Html::parse_document(&read(&public, "index.html"));
    let json: String = select(&home, "script[type=\"application/ld+json\"]")[0]
        .text()
        .collect();
    let organisation: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(organisation["@type"], "GovernmentOrganization");
    assert_eq!(organisation["url"], "https://example.org/");
    assert_eq!(
        organisation.get("parentOrganization"),
        None,
        "no owner menu"
    );

    let about = Html::parse_document(&read(&public, "about/index.html"));
    assert!(select(&about, "script").is_empty());
    assert_eq!(
        attr(&about, "meta[name=twitter\\:card]", "content"),
        Some("summary")
    );
    assert_eq!(
        attr(&about, "meta[name=description]", "content"),
        Some("A small site for testing what is published besides pages.")
    );
}

#[test]
fn the_organisation_in_json_ld_belongs_to_the_owner_the_footer_names() {
    let yaml = std::fs::read_to_string(fixtures().join("publishing/site.yaml")).unwrap();
    let owner = "  owner:\n    - {name: Fixture County Council, url: https://council.example/}\n";
    let yaml = yaml.replacen("menus:\n", &format!("menus:\n{owner}"), 1);
    let (site, _) = build_changed("publishing", &[("site.yaml", &yaml)], &[]);
    let home = Html::parse_document(&read(&site.path().join("public"), "index.html"));
    let json: String = select(&home, "script[type=\"application/ld+json\"]")[0]
        .text()
        .collect();
    let organisation: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        organisation["parentOrganization"],
        serde_json::json!({
            "@type": "GovernmentOrganization",
            "name": "Fixture County Council",
            "url": "https://council.example/",
        })
    );
}

/// The site path a built file is served at: `a/index.html` -> `a/`.
fn served_path(public: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(public)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    rel.strip_suffix("index.html")
        .map_or(rel.clone(), str::to_string)
}

/// Every link, image, stylesheet, script, feed and redirect of a build under
/// `SUBPATH_BASE` that stays on the site, as `(where, address)`.
fn internal_addresses(public: &Path) -> Vec<(String, url::Url)> {
    let base = url::Url::parse(SUBPATH_BASE).unwrap();
    let mut found = Vec::new();
    let selector =
        Selector::parse("[href], [src], meta[content], meta[http-equiv=refresh]").unwrap();
    for file in html_files(public) {
        let page_url = base.join(&served_path(public, &file)).unwrap();
        let html = Html::parse_document(&std::fs::read_to_string(&file).unwrap());
        for element in html.select(&selector) {
            let value = element.value();
            let addresses = [
                value.attr("href").map(str::to_string),
                value.attr("src").map(str::to_string),
                value
                    .attr("content")
                    .filter(|c| c.starts_with("https://"))
                    .map(str::to_string),
                value
                    .attr("content")
                    .and_then(|c| c.split_once("url="))
                    .map(|(_, u)| u.to_string()),
            ];
            for address in addresses.into_iter().flatten() {
                let joined = page_url.join(&address).unwrap();
                found.push((page_url.to_string(), joined));
            }
        }
    }
    let sitemap = read(public, "sitemap.xml");
    for loc in sitemap.split("<loc>").skip(1) {
        let loc = loc.split("</loc>").next().unwrap();
        found.push(("sitemap.xml".into(), url::Url::parse(loc).unwrap()));
    }
    let feed = feed_rs::parser::parse(read(public, "atom.xml").as_bytes()).unwrap();
    for link in feed
        .links
        .iter()
        .chain(feed.entries.iter().flat_map(|e| e.links.iter()))
    {
        found.push(("atom.xml".into(), url::Url::parse(&link.href).unwrap()));
    }
    for line in read(public, "_redirects").lines() {
        let to = line.split(' ').nth(1).unwrap();
        found.push(("_redirects".into(), base.join(to).unwrap()));
    }
    found
        .into_iter()
        .filter(|(_, url)| url.host_str() == Some("example.org"))
        .collect()
}

fn unresolved_under_subpath(public: &Path) -> Vec<String> {
    let addresses = internal_addresses(public);
    assert!(addresses.len() > 20, "too few links found: {addresses:?}");
    let mut problems = Vec::new();
    for (from, url) in addresses {
        let Some(rest) = url.path().strip_prefix("/communities/") else {
            problems.push(format!("{from}: {url} is outside /communities/"));
            continue;
        };
        let rest = percent_encoding::percent_decode_str(rest)
            .decode_utf8_lossy()
            .into_owned();
        let file = if rest.is_empty() || rest.ends_with('/') {
            public.join(&rest).join("index.html")
        } else {
            public.join(&rest)
        };
        if !file.is_file() {
            problems.push(format!("{from}: {url} has no file {}", file.display()));
        }
    }
    problems
}

#[test]
fn under_a_subpath_every_internal_address_resolves_to_a_built_file() {
    let site = build("publishing", &["--base-url", SUBPATH_BASE]);
    let problems = unresolved_under_subpath(&site.path().join("public"));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn netlify_toml_is_deployable_with_a_strict_policy_and_long_caching_for_hashed_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let netlify: toml::Table = read(root, "netlify.toml").parse().unwrap();
    let build = netlify["build"].as_table().unwrap();
    assert_eq!(build["publish"].as_str(), Some("public"));
    assert!(build["command"].as_str().unwrap().ends_with(" build"));

    let headers = netlify["headers"].as_array().unwrap();
    let values_for = |path: &str| {
        headers
            .iter()
            .find(|h| h["for"].as_str() == Some(path))
            .unwrap_or_else(|| panic!("no headers for {path}"))["values"]
            .as_table()
            .unwrap()
            .clone()
    };
    let all = values_for("/*");
    let csp = all["Content-Security-Policy"].as_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for needed in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(directives.contains(&needed), "{needed} missing from {csp}");
    }
    let config = communities::config::Config::load(root, None).unwrap();
    let frame_src = directives
        .iter()
        .find_map(|d| d.strip_prefix("frame-src "))
        .expect("a frame-src directive");
    if config.html.iframe_hosts.is_empty() {
        assert_eq!(frame_src, "'none'");
    }
    for host in &config.html.iframe_hosts {
        assert!(
            frame_src.split(' ').any(|s| s == format!("https://{host}")),
            "site.yaml allows iframes from {host}, so frame-src must too: {csp}"
        );
    }
    for header in [
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    ] {
        assert!(all.contains_key(header), "{header}");
    }
    assert!(
        !all.contains_key("Cache-Control"),
        "Netlify joins the values of every matching rule, so /* must not set caching"
    );
    for extension in ["css", "js", "mjs"] {
        assert!(communities::assets::is_fingerprinted(&format!(
            "a.{extension}"
        )));
        let cache = values_for(&format!("/*.{extension}"));
        assert_eq!(
            cache["Cache-Control"].as_str(),
            Some("public, max-age=31536000, immutable")
        );
    }
}
