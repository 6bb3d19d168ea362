use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use communities::diagnostics::Diagnostic;
use communities::pipeline::{self, Options, Summary};
use communities::scaffold::{self, NewPage};
use communities::schema;
use communities::serve::{self, ServeOptions};

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
    /// The site's folder: the one with site.yaml and content/.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
}

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
                root: site.root,
                output,
                drafts,
                base_url,
            };
            report(pipeline::build(&options), "Built", Format::Text)
        }
        Command::Check { site, format } => {
            let options = Options {
                root: site.root,
                ..Options::default()
            };
            report(pipeline::check(&options), "Checked", format)
        }
        Command::Serve { site, port, bind } => {
            let options = ServeOptions {
                root: site.root,
                bind,
                port,
            };
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
            match scaffold::create(&site.root, &what, &title, today) {
                Ok(created) => {
                    println!("Created {}", created.path.display());
                    println!(
                        "It will be published at {} once its blanks are filled in.",
                        created.url
                    );
                    println!(
                        "Preview it with `communities serve`; check it with `communities check`."
                    );
                    ExitCode::SUCCESS
                }
                Err(problem) => failed(&[problem]),
            }
        }
        Command::Schema { out } => match schema::write_all(&out) {
            Ok(files) => {
                for file in files {
                    println!("Wrote {file}");
                }
                ExitCode::SUCCESS
            }
            Err(problem) => failed(&[problem]),
        },
    }
}

fn report(result: Result<Summary, Vec<Diagnostic>>, verb: &str, format: Format) -> ExitCode {
    if let Format::Json = format {
        let (problems, code) = match &result {
            Ok(summary) => (summary.warnings.as_slice(), ExitCode::SUCCESS),
            Err(problems) => (problems.as_slice(), ExitCode::FAILURE),
        };
        let list: Vec<_> = problems.iter().map(Diagnostic::to_json).collect();
        println!("{}", serde_json::Value::Array(list));
        return code;
    }
    match result {
        Ok(summary) => {
            for warning in &summary.warnings {
                eprintln!("{warning}");
            }
            let pictures = summary.pictures;
            println!(
                "{verb} {} pages and {} files in {} ms{}{}",
                summary.pages,
                summary.files,
                summary.elapsed.as_millis(),
                match pictures.encoded + pictures.reused {
                    0 => String::new(),
                    _ => format!(
                        " ({} pictures made, {} from the cache)",
                        pictures.encoded, pictures.reused
                    ),
                },
                match summary.warnings.len() {
                    0 => String::new(),
                    1 => ", with 1 warning".to_string(),
                    n => format!(", with {n} warnings"),
                }
            );
            ExitCode::SUCCESS
        }
        Err(problems) => failed(&problems),
    }
}

fn failed(problems: &[Diagnostic]) -> ExitCode {
    for problem in problems {
        eprintln!("{problem}");
    }
    let errors = problems.iter().filter(|p| p.is_error()).count();
    eprintln!(
        "{} found; nothing was written",
        if errors == 1 {
            "1 error".to_string()
        } else {
            format!("{errors} errors")
        }
    );
    ExitCode::FAILURE
}
