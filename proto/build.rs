//! Compiles `passage/v1/*.proto` with protox (pure Rust, no system `protoc`) and
//! writes the file descriptor set that server reflection serves.

use std::path::PathBuf;

use prost::Message;

const PROTOS: &[&str] = &[
    "passage/v1/member.proto",
    "passage/v1/market.proto",
    "passage/v1/federation.proto",
    "passage/v1/review.proto",
    "passage/v1/buddy.proto",
    "passage/v1/rules.proto",
    "passage/v1/stats.proto",
    "passage/v1/community.proto",
    "passage/v1/coaching.proto",
    "passage/v1/casework.proto",
    "passage/v1/placement.proto",
    "passage/v1/helpdesk.proto",
    "passage/v1/audit.proto",
    "passage/v1/accounts.proto",
    "passage/v1/personal_data.proto",
    "passage/v1/spreadsheets.proto",
    "passage/v1/notifications.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("passage_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
