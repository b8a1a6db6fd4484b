//! Compiles Skaffold's v2 API protos with protox (no system `protoc`) and generates the prost
//! message types plus the tonic client and server for `proto.v2.SkaffoldV2Service`.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out = PathBuf::from(env::var("OUT_DIR")?);

    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_imports(true)
        .include_source_info(false)
        .open_files(["proto/v2/skaffold.proto"])?;
    // The encoded set keeps custom options such as `(google.api.http)`, which the JSON layer
    // and the gateway route test read back at run time.
    fs::write(
        out.join("skaffold_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    let mut config = prost_build::Config::new();
    config.enable_type_names();
    // Ordered maps make every JSON rendering and every State snapshot deterministic.
    config.btree_map(["."]);
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .include_file("mod.rs")
        .compile_fds_with_config(compiler.file_descriptor_set(), config)?;
    Ok(())
}
