use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use communities::config::find_site_root;
use communities::diagnostics::{Diagnostic, SourceLines, display_path};
use communities::memory;
use communities::pipeline::{self, Options, Summary};
use communities::scaffold::{self, NewPage};
use communities::schema;
use communities::serve::{self, ServeOptions};
use rayon::prelude::*;

/// The static site generator of the Leicestershire Communities website.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (public/ by default).
    Build {
        #[command(flatten)]
        site: SiteArgs,
        /// Where to write the site, relative to the root unless absolute.
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Include pages marked `draft: true`.
        #[arg(long)]
        drafts: bool,
        /// Publish under this address instead of site.yaml's base_url (for previews).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Run every check of `build` without writing anything.
    Check {
        #[command(flatten)]
        site: SiteArgs,
        /// How to print problems: as text lines, or as a JSON list for CI annotations.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Fail (exit status 1) when there are warnings, not only errors: for CI.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Preview the site, drafts included: rebuilt on every save, open pages reload by themselves.
    Serve {
        #[command(flatten)]
        site: SiteArgs,
        /// The port to serve on; 0 picks a free one.
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to serve on; anything but loopback lets other machines see the preview.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        bind: IpAddr,
        /// A host name the preview also answers to (besides localhost and its addresses), e.g.
        /// the machine's name on the local network; may be given more than once.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
    },
    /// Create a new page with every field of its kind ready to fill in.
    New {
        #[command(flatten)]
        site: SiteArgs,
        #[command(subcommand)]
        kind: NewKind,
    },
    /// Write a JSON Schema of each kind's front matter, for editors that check YAML.
    Schema {
        /// The folder to write the schemas into.
        #[arg(long, value_name = "DIR", default_value = "schemas")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum NewKind {
    /// A case study in content/case-studies/.
    CaseStudy { title: String },
    /// A resource in content/resources/.
    Resource {
        title: String,
        /// Make a folder for the page, so downloads can sit beside it.
        #[arg(long)]
        bundle: bool,
    },
    /// A section of an annual report in content/annual-report/YEAR/.
    ReportSection {
        title: String,
        /// The report's year, e.g. 2021-22.
        #[arg(long)]
        year: String,
    },
    /// A plain page at PATH below content/ (e.g. help/adding-a-page).
    Page { path: String, title: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Args)]
struct SiteArgs {
    /// The site's folder: the one with site.yaml and content/. Without it, the nearest
    /// folder at or above the current one that has a site.yaml.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

impl SiteArgs {
    /// `None` outside any site.
    fn find(self) -> Option<PathBuf> {
        self.root.or_else(|| find_site_root(Path::new(".")))
    }

    /// Outside any site the current folder is used, and its missing site.yaml is reported.
    fn root(self) -> PathBuf {
        self.find().unwrap_or_else(|| PathBuf::from("."))
    }
}

/// A build allocates and frees millions of small strings from every core; glibc's allocator
/// spent about a fifth of a large build's CPU time on that, mimalloc much less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            site,
            output,
            drafts,
            base_url,
        } => {
            let options = Options {
                root: site.root(),
                output,
                drafts,
                base_url,
            };
            memory::without_huge_pages();
            let result = pipeline::build(&options);
            Report::text(&options.root).print(result, "Built")
        }
        Command::Check {
            site,
            format,
            deny_warnings,
        } => {
            let options = Options {
                root: site.root(),
                ..Options::default()
            };
            let report = Report {
                root: options.root.clone(),
                format,
                deny_warnings,
            };
            memory::without_huge_pages();
            report.print(pipeline::check(&options), "Checked")
        }
        Command::Serve {
            site,
            port,
            bind,
            allow_host,
        } => {
            let options = ServeOptions {
                root: site.root(),
                bind,
                port,
                allowed_hosts: allow_host,
            };
            memory::keep_freed_memory();
            match serve::serve(&options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(problem) => {
                    eprintln!("{problem}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::New { site, kind } => {
            let (what, title) = match kind {
                NewKind::CaseStudy { title } => (NewPage::CaseStudy, title),
                NewKind::Resource { title, bundle } => (NewPage::Resource { bundle }, title),
                NewKind::ReportSection { title, year } => (NewPage::ReportSection { year }, title),
                NewKind::Page { path, title } => (NewPage::Page { path }, title),
            };
            let today = chrono::Local::now().date_naive();
            // Outside any site, a new page would start a stray content/ folder here.
            let Some(root) = site.find() else {
                let problem = Diagnostic::site_error(
                    "there is no site.yaml in this folder or any folder above it, so this is not inside a website",
                )
                .with_hint("go to the website's folder (the one with site.yaml) first, or give it with --root");
                return Report::text(Path::new(".")).failed(&[problem]);
            };
            match scaffold::create(&root, &what, &title, today) {
                Ok(created) => {
                    // Relative to where the command was run, which may be inside the site.
                    let shown = if root == Path::new(".") {
                        created.path.clone()
                    } else {
                        root.join(&created.path)
                    };
                    println!("Created {}", display_path(&shown));
                    println!(
                        "It will be published at {} once its blanks are filled in.",
                        created.url
                    );
                    println!(
                        "Preview it with `communities serve`; check it with `communities check`."
                    );
                    ExitCode::SUCCESS
                }
                Err(problem) => Report::text(&root).failed(&[problem]),
            }
        }
        Command::Schema { out } => match schema::write_all(&out) {
            Ok(files) => {
                for file in files {
                    println!("Wrote {file}");
                }
                ExitCode::SUCCESS
            }
            Err(problem) => Report::text(Path::new(".")).failed(&[problem]),
        },
    }
}

/// How problems are printed: text lines with the source line they point at, or JSON.
struct Report {
    /// What the problems' paths are relative to.
    root: PathBuf,
    format: Format,
    deny_warnings: bool,
}

impl Report {
    fn text(root: &Path) -> Self {
        Report {
            root: root.to_path_buf(),
            format: Format::Text,
            deny_warnings: false,
        }
    }

    fn print(self, result: Result<Summary, Vec<Diagnostic>>, verb: &str) -> ExitCode {
        let denied = |warnings: &[Diagnostic]| self.deny_warnings && !warnings.is_empty();
        if let Format::Json = self.format {
            let (problems, code) = match &result {
                Ok(summary) if denied(&summary.warnings) => {
                    (summary.warnings.as_slice(), ExitCode::FAILURE)
                }
                Ok(summary) => (summary.warnings.as_slice(), ExitCode::SUCCESS),
                Err(problems) => (problems.as_slice(), ExitCode::FAILURE),
            };
            let list: Vec<_> = problems.iter().map(Diagnostic::to_json).collect();
            println!("{}", serde_json::Value::Array(list));
            return code;
        }
        match result {
            Ok(summary) if denied(&summary.warnings) => {
                self.show(&summary.warnings);
                let count = summary.warnings.len();
                eprintln!(
                    "{} found, and --deny-warnings makes warnings fail the check",
                    plural(count, "warning")
                );
                ExitCode::FAILURE
            }
            Ok(summary) => {
                self.show(&summary.warnings);
                let pictures = summary.pictures;
                println!(
                    "{verb} {} and {} in {} ms{}{}",
                    plural(summary.pages, "page"),
                    plural(summary.files, "file"),
                    summary.elapsed.as_millis(),
                    match (pictures.encoded, pictures.checked, pictures.reused) {
                        (0, 0, 0) => String::new(),
                        (made, 0, reused) => {
                            format!(" ({made} pictures made, {reused} from the cache)")
                        }
                        (_, checked, reused) => {
                            format!(" ({checked} pictures checked, {reused} from the cache)")
                        }
                    },
                    match summary.warnings.len() {
                        0 => String::new(),
                        n => format!(", with {}", plural(n, "warning")),
                    }
                );
                ExitCode::SUCCESS
            }
            Err(problems) => self.failed(&problems),
        }
    }

    /// Through one lock and buffer: a site with thousands of warnings would otherwise spend
    /// a system call on each line. They are rendered on every core, each file's problems
    /// together so that its text is read once and let go after them.
    fn show(&self, problems: &[Diagnostic]) {
        let rendered: Vec<String> = problems
            .par_chunk_by(|a, b| a.path() == b.path())
            .flat_map_iter(|same_file| {
                let mut sources = SourceLines::new(&self.root);
                same_file
                    .iter()
                    .map(|problem| sources.render(problem))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut err = std::io::BufWriter::new(std::io::stderr().lock());
        for text in rendered {
            // A closed stderr leaves nobody to tell.
            let _ = writeln!(err, "{text}");
        }
        let _ = err.flush();
    }

    fn failed(self, problems: &[Diagnostic]) -> ExitCode {
        self.show(problems);
        let errors = problems.iter().filter(|p| p.is_error()).count();
        eprintln!("{} found; nothing was written", plural(errors, "error"));
        ExitCode::FAILURE
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
