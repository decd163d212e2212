//! SHA-256 throughput inside a wasm guest, three ways, over 4 streams of 64 MiB:
//!
//! 1. `sha2` (what hoist-wasi uses): one stream at a time, scalar code;
//! 2. four streams in lock-step, one 32-bit lane each, written as plain arrays (what
//!    LLVM's vectoriser makes of it);
//! 3. the same with explicit wasm `simd128` (`i32x4`), the best a multi-buffer hasher
//!    can do in wasm: the WASI host downloads up to four layers at once, so four
//!    streams are what it could hash together.
//!
//! The compression function is FIPS 180-4 §6.2.2; every lane's result is checked
//! against `sha2`'s. Build and run: `tests/bench/wasi-sha256.sh`.

use std::time::Instant;

/// FIPS 180-4 §4.2.2.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];
/// FIPS 180-4 §5.3.3.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
    0x5be0cd19,
];
const LANES: usize = 4;
const PER_STREAM: usize = 64 << 20;

mod arrays {
    use super::{K, LANES};
    type V = [u32; LANES];
    fn map(a: V, b: V, f: impl Fn(u32, u32) -> u32) -> V {
        std::array::from_fn(|i| f(a[i], b[i]))
    }
    fn add(a: V, b: V) -> V {
        map(a, b, u32::wrapping_add)
    }
    fn xor(a: V, b: V) -> V {
        map(a, b, |x, y| x ^ y)
    }
    fn rot(a: V, n: u32) -> V {
        a.map(|x| x.rotate_right(n))
    }
    fn shr(a: V, n: u32) -> V {
        a.map(|x| x >> n)
    }
    pub fn compress(state: &mut [V; 8], blocks: [&[u8]; LANES]) {
        let mut w = [[0u32; LANES]; 64];
        for t in 0..16 {
            w[t] = std::array::from_fn(|l| {
                u32::from_be_bytes(blocks[l][4 * t..4 * t + 4].try_into().unwrap())
            });
        }
        for t in 16..64 {
            let s0 = xor(xor(rot(w[t - 15], 7), rot(w[t - 15], 18)), shr(w[t - 15], 3));
            let s1 = xor(xor(rot(w[t - 2], 17), rot(w[t - 2], 19)), shr(w[t - 2], 10));
            w[t] = add(add(w[t - 16], s0), add(w[t - 7], s1));
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        for t in 0..64 {
            let s1 = xor(xor(rot(e, 6), rot(e, 11)), rot(e, 25));
            let ch = map(map(e, f, |x, y| x & y), map(e, g, |x, y| !x & y), |x, y| x ^ y);
            let t1 = add(add(add(h, s1), add(ch, [K[t]; LANES])), w[t]);
            let s0 = xor(xor(rot(a, 2), rot(a, 13)), rot(a, 22));
            let maj = map(map(a, b, |x, y| x & y), map(c, map(a, b, |x, y| x | y), |x, y| x & y), |x, y| x | y);
            let t2 = add(s0, maj);
            (h, g, f, e, d, c, b, a) = (g, f, e, add(d, t1), c, b, a, add(t1, t2));
        }
        for (s, n) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = add(*s, n);
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::K;
    use std::arch::wasm32::*;
    fn rot(a: v128, n: u32) -> v128 {
        v128_or(u32x4_shr(a, n), u32x4_shl(a, 32 - n))
    }
    pub fn compress(state: &mut [v128; 8], blocks: [&[u8]; 4]) {
        let mut w = [u32x4_splat(0); 64];
        for t in 0..16 {
            let g = |l: usize| u32::from_be_bytes(blocks[l][4 * t..4 * t + 4].try_into().unwrap());
            w[t] = u32x4(g(0), g(1), g(2), g(3));
        }
        for t in 16..64 {
            let s0 = v128_xor(v128_xor(rot(w[t - 15], 7), rot(w[t - 15], 18)), u32x4_shr(w[t - 15], 3));
            let s1 = v128_xor(v128_xor(rot(w[t - 2], 17), rot(w[t - 2], 19)), u32x4_shr(w[t - 2], 10));
            w[t] = i32x4_add(i32x4_add(w[t - 16], s0), i32x4_add(w[t - 7], s1));
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        for t in 0..64 {
            let s1 = v128_xor(v128_xor(rot(e, 6), rot(e, 11)), rot(e, 25));
            let ch = v128_bitselect(f, g, e);
            let t1 = i32x4_add(i32x4_add(i32x4_add(h, s1), i32x4_add(ch, u32x4_splat(K[t]))), w[t]);
            let s0 = v128_xor(v128_xor(rot(a, 2), rot(a, 13)), rot(a, 22));
            let maj = v128_or(v128_and(a, b), v128_and(c, v128_or(a, b)));
            let t2 = i32x4_add(s0, maj);
            (h, g, f, e, d, c, b, a) = (g, f, e, i32x4_add(d, t1), c, b, a, i32x4_add(t1, t2));
        }
        for (s, n) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = i32x4_add(*s, n);
        }
    }
    pub fn lane(v: v128, l: usize) -> u32 {
        match l {
            0 => u32x4_extract_lane::<0>(v),
            1 => u32x4_extract_lane::<1>(v),
            2 => u32x4_extract_lane::<2>(v),
            _ => u32x4_extract_lane::<3>(v),
        }
    }
}

fn rate(t: Instant) -> f64 {
    (PER_STREAM * LANES) as f64 / t.elapsed().as_secs_f64() / 1e6
}

fn main() {
    let data: Vec<Vec<u8>> = (0..LANES)
        .map(|l| (0..PER_STREAM).map(|i| (i.wrapping_mul(31) + l * 7) as u8).collect())
        .collect();
    // Reference: each stream's chaining value after all its blocks (no padding: the
    // compression function is what is measured).
    let t = Instant::now();
    let expected: Vec<[u32; 8]> = data
        .iter()
        .map(|d| {
            let mut s = IV;
            let blocks: Vec<_> = d.chunks_exact(64).map(|c| *sha2::digest::generic_array::GenericArray::from_slice(c)).collect();
            sha2::compress256(&mut s, &blocks);
            s
        })
        .collect();
    println!("sha2, one stream at a time:        {:6.0} MB/s", rate(t));

    let t = Instant::now();
    let mut st: [[u32; LANES]; 8] = std::array::from_fn(|i| [IV[i]; LANES]);
    for off in (0..PER_STREAM).step_by(64) {
        arrays::compress(&mut st, std::array::from_fn(|l| &data[l][off..off + 64]));
    }
    let r = rate(t);
    let ok = (0..LANES).all(|l| (0..8).all(|i| st[i][l] == expected[l][i]));
    println!("4 streams in lanes, plain arrays:  {r:6.0} MB/s  (equal to sha2: {ok})");
    assert!(ok);

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use std::arch::wasm32::u32x4_splat;
        let t = Instant::now();
        let mut st: [_; 8] = std::array::from_fn(|i| u32x4_splat(IV[i]));
        for off in (0..PER_STREAM).step_by(64) {
            simd::compress(&mut st, std::array::from_fn(|l| &data[l][off..off + 64]));
        }
        let r = rate(t);
        let ok = (0..LANES).all(|l| (0..8).all(|i| simd::lane(st[i], l) == expected[l][i]));
        println!("4 streams in lanes, wasm simd128:  {r:6.0} MB/s  (equal to sha2: {ok})");
        assert!(ok);
    }
}
