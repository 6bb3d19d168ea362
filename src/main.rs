use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use communities::diagnostics::Diagnostic;
use communities::pipeline::{self, Options, Summary};
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
            report(pipeline::build(&options), "Built")
        }
        Command::Check { site } => {
            let options = Options {
                root: site.root,
                ..Options::default()
            };
            report(pipeline::check(&options), "Checked")
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
    }
}

fn report(result: Result<Summary, Vec<Diagnostic>>, verb: &str) -> ExitCode {
    match result {
        Ok(summary) => {
            for warning in &summary.warnings {
                eprintln!("{warning}");
            }
            println!(
                "{verb} {} pages and {} files in {} ms{}",
                summary.pages,
                summary.files,
                summary.elapsed.as_millis(),
                match summary.warnings.len() {
                    0 => String::new(),
                    1 => ", with 1 warning".to_string(),
                    n => format!(", with {n} warnings"),
                }
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
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
    }
}
