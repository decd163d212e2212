//! The `hoist` command line. See `hoist --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = hoist::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hoist: error[runtime]: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(hoist::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.report_line());
            ExitCode::FAILURE
        }
    }
}
