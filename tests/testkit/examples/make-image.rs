//! Writes a small deterministic test image into an OCI layout: `make-image DIR TAG`.
//! Used by `tests/demo.sh` and `tests/bench/pull.sh`; `LAYERS=N` and `LAYER_SIZE=BYTES`
//! choose the shape (defaults: 2 layers of 1 MiB).

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(tag)) = (args.next(), args.next()) else {
        eprintln!("usage: make-image DIR TAG");
        std::process::exit(2);
    };
    let layers: usize = std::env::var("LAYERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let size: usize = std::env::var("LAYER_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 20);
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut builder = hoist_testkit::ImageBuilder::new(seed)
        .tag(&tag)
        .label("org.example.demo", "hoist");
    for _ in 0..layers {
        builder = builder.layer(size);
    }
    match builder.write(&PathBuf::from(&dir)) {
        Ok(image) => println!("{}", image.digest()),
        Err(e) => {
            eprintln!("make-image: {e}");
            std::process::exit(1);
        }
    }
}
