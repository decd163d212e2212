//! Compiles `proto/runtime_v1_image.proto` (the CRI image service) with protox, a
//! pure-Rust protobuf compiler, so that building needs no `protoc` and no network.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/runtime_v1_image.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // AuthConfig carries secrets: its Debug is written by hand (src/cri/proto.rs).
        .skip_debug(["runtime.v1.AuthConfig"])
        .compile_fds(descriptors)?;
    Ok(())
}
