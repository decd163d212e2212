//! The `hoist` command line. See `hoist --help`.

use std::process::ExitCode;

use hoist::cli::Invocation;

fn main() -> ExitCode {
    let cli = match hoist::cli::parse_args(std::env::args_os()) {
        Ok(Invocation::Run(cli)) => cli,
        Ok(Invocation::Print(text)) => {
            // Help and version go to stdout, status 0; a closed stdout is no failure.
            let _ = text.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", e.report_line());
            return ExitCode::from(e.exit_status());
        }
    };
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
            ExitCode::from(e.exit_status())
        }
    }
}
