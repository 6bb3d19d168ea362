//! The deploy build step (`bin/netlify-build`): it compiles the generator only when what is
//! compiled into it changed, and netlify.toml runs it for every kind of deploy.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{read, write};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A small copy of the repository's layout, with the real build script and a stand-in for
/// cargo that counts its compiles and "compiles" a binary printing its arguments.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    fn new() -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::copy(
            repo().join("bin/netlify-build"),
            root.join("bin/netlify-build"),
        )
        .unwrap();
        write(root, "Cargo.toml", "[package]\nname = \"communities\"\n");
        write(root, "Cargo.lock", "version = 4\n");
        write(root, "src/main.rs", "fn main() {}\n");
        write(
            root,
            "themes/default/templates/page.html",
            "<main></main>\n",
        );
        write(root, "content/index.md", "---\ntitle: Home\n---\nHello\n");
        write(
            root,
            "fake-cargo",
            "#!/bin/sh\n\
             echo \"$*\" >> compiles.log\n\
             mkdir -p target/release\n\
             printf '#!/bin/sh\\necho \"generator %s ran: $*\"\\n' \"$(cat src/main.rs)\" \
             > target/release/communities\n\
             chmod +x target/release/communities\n",
        );
        make_executable(&root.join("fake-cargo"));
        Checkout { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn deploy(&self, args: &[&str]) -> Output {
        let output = Command::new(self.root().join("bin/netlify-build"))
            .args(args)
            .env("CARGO", self.root().join("fake-cargo"))
            .env_remove("CACHE_DIR")
            .env_remove("CARGO_TARGET_DIR")
            .current_dir(self.root())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn compiles(&self) -> usize {
        std::fs::read_to_string(self.root().join("compiles.log"))
            .map_or(0, |log| log.lines().count())
    }

    fn cached_binaries(&self) -> usize {
        std::fs::read_dir(self.root().join(".cache/bin"))
            .unwrap()
            .count()
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_content_change_reuses_the_cached_generator_and_a_source_change_recompiles_it() {
    let checkout = Checkout::new();
    checkout.deploy(&["build"]);
    assert_eq!(checkout.compiles(), 1);

    write(
        checkout.root(),
        "content/index.md",
        "---\ntitle: Home\n---\nNews\n",
    );
    write(
        checkout.root(),
        "content/new.md",
        "---\ntitle: New\n---\nMore\n",
    );
    checkout.deploy(&["build"]);
    assert_eq!(checkout.compiles(), 1, "content alone must not recompile");

    write(checkout.root(), "src/main.rs", "fn main() { run() }\n");
    let output = checkout.deploy(&["build"]);
    assert_eq!(checkout.compiles(), 2, "a source change recompiles");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("run()"),
        "the new binary runs, not the cached one"
    );
    assert_eq!(
        checkout.cached_binaries(),
        1,
        "only the current binary is kept"
    );

    for changed in [
        "themes/default/templates/page.html",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        let before = checkout.compiles();
        write(checkout.root(), changed, "changed\n");
        checkout.deploy(&["build"]);
        assert_eq!(checkout.compiles(), before + 1, "{changed} is compiled in");
    }
}

#[test]
fn a_cached_build_runs_the_generator_with_the_deploys_arguments() {
    let checkout = Checkout::new();
    checkout.deploy(&["build"]);
    let output = checkout.deploy(&["build", "--base-url", "https://preview--x.netlify.app"]);
    assert_eq!(checkout.compiles(), 1);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "generator fn main() {} ran: build --base-url https://preview--x.netlify.app"
    );
}

/// Files the source embeds with `include_str!`, `include_bytes!` and `include_dir!`, relative
/// to the repository.
fn embedded_files() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(repo().join("src")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let dir = entry.path().parent().unwrap();
        for mark in ["include_str!(\"", "include_bytes!(\"", "include_dir!(\""] {
            for (at, _) in text.match_indices(mark) {
                let rest = &text[at + mark.len()..];
                let arg = &rest[..rest.find('"').unwrap()];
                let path = match arg.strip_prefix("$CARGO_MANIFEST_DIR/") {
                    Some(inner) => repo().join(inner),
                    None => dir.join(arg),
                };
                found.push(path.strip_prefix(repo()).unwrap().to_path_buf());
            }
        }
    }
    found
}

#[test]
fn every_file_compiled_into_the_generator_is_part_of_the_deploy_cache_key() {
    let output = Command::new(repo().join("bin/netlify-build"))
        .arg("--inputs")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let inputs: Vec<&str> = stdout.lines().collect();
    for needed in ["Cargo.lock", "Cargo.toml", "src"] {
        assert!(inputs.contains(&needed), "{needed} missing from {inputs:?}");
    }
    let embedded = embedded_files();
    assert!(
        embedded.iter().any(|p| p.starts_with("themes")),
        "the theme is embedded: {embedded:?}"
    );
    for file in embedded {
        assert!(
            inputs.iter().any(|input| file.starts_with(input)),
            "{} is compiled in but not hashed by bin/netlify-build: {inputs:?}",
            file.display()
        );
    }
}

#[test]
fn netlify_runs_the_cached_build_step_and_keeps_the_preview_address() {
    let netlify: toml::Table = read(repo(), "netlify.toml").parse().unwrap();
    assert_eq!(
        netlify["build"]["command"].as_str(),
        Some("bin/netlify-build build")
    );
    for context in ["deploy-preview", "branch-deploy"] {
        assert_eq!(
            netlify["context"][context]["command"].as_str(),
            Some("bin/netlify-build build --base-url \"$DEPLOY_PRIME_URL\""),
            "{context}"
        );
    }
    let cached = netlify["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"].as_str() == Some("netlify-plugin-cache"))
        .expect("the cache plugin");
    let paths = cached["inputs"]["paths"].as_array().unwrap();
    assert!(
        paths.iter().any(|p| p.as_str() == Some(".cache")),
        "the binary's cache folder (.cache/bin) is saved: {paths:?}"
    );
}
