//! Verifier throughput: streaming SHA-256 over 64 MiB in 16 KiB chunks, the chunk size
//! `openssl speed -evp sha256 -bytes 16384` uses, so `tests/bench/digest.sh` can print a
//! ratio against OpenSSL measured in the same run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hoist_core::digest::{Digest, Verifier};

const CHUNK: usize = 16 * 1024;
const TOTAL: usize = 64 * 1024 * 1024;

fn verifier(c: &mut Criterion) {
    let chunk: Vec<u8> = (0..CHUNK).map(|i| (i * 31 % 251) as u8).collect();
    let mut whole = Vec::with_capacity(TOTAL);
    for _ in 0..TOTAL / CHUNK {
        whole.extend_from_slice(&chunk);
    }
    let expected = Digest::sha256_of(&whole);
    drop(whole);

    let mut g = c.benchmark_group("verifier");
    g.throughput(Throughput::Bytes(TOTAL as u64));
    g.sample_size(10);
    g.bench_function("sha256_64MiB_16KiB_chunks", |b| {
        b.iter(|| {
            let mut v = Verifier::new(expected.clone()).with_size(TOTAL as u64);
            for _ in 0..TOTAL / CHUNK {
                v.update(&chunk).ok();
            }
            v.finish().ok()
        })
    });
    g.finish();
}

criterion_group!(benches, verifier);
criterion_main!(benches);
