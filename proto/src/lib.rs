//! Passage's wire protocol: the generated `passage.v1` types, clients and servers,
//! the file descriptor set that reflection serves, and the protocol's own rules —
//! the hybrid logical clock, the merge of shared profiles and calendar months. The
//! tower layers the servers share live in `passage-server`.

pub mod bounds;
pub mod hlc;
pub mod merge;
pub mod months;

/// Package `passage.v1`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("passage.v1");
}

/// The encoded `FileDescriptorSet` of every Passage proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("passage_descriptor");

/// gRPC reflection (v1 and v1alpha, for older clients) of every Passage service and
/// of `grpc.health.v1`, as every Passage server offers it.
#[allow(clippy::type_complexity)]
pub fn reflection_services() -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    tonic_reflection::server::Error,
> {
    let configure = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    Ok((configure().build_v1()?, configure().build_v1alpha()?))
}

/// Chooses ring as rustls' crypto provider for this process, if none was chosen:
/// every server and client of Passage speaks TLS with it. A process that links a
/// second provider (the browser tests' WebDriver client does) would otherwise
/// refuse to guess. Servers and clients call it before building a TLS setting.
pub fn choose_tls_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Metadata key that names the region a call through the gateway is for.
pub const REGION_METADATA_KEY: &str = "x-passage-region";

/// Whether `slug` is a region slug: `amsterdam`, `washington-dc` (lowercase ASCII
/// letters, digits and inner hyphens, at most 63 characters).
pub fn is_region_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 63
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// The name on the gateway's TLS certificate that nodes verify.
pub const GATEWAY_TLS_NAME: &str = "gateway.passage";

/// The name on the web app's client certificate: the gateway takes the browser's
/// address ([`CLIENT_ADDRESS_METADATA_KEY`]) only from a connection showing it.
pub const WEB_TLS_NAME: &str = "web.passage";

/// Metadata key with which the web app passes on the address of the browser it
/// serves, so the gateway slows and locks sign-ins per real address.
pub const CLIENT_ADDRESS_METADATA_KEY: &str = "x-passage-client-address";

/// Prefix of a session credential made by signing in (`pss_<id>_<secret>`).
pub const SESSION_PREFIX: &str = "pss_";

/// The name on a region's client certificate: `amsterdam.region.passage`.
pub fn region_tls_name(region: &str) -> String {
    format!("{region}.region.passage")
}

/// The region a certificate name stands for, if it is a region's name.
pub fn region_from_tls_name(name: &str) -> Option<&str> {
    name.strip_suffix(".region.passage")
        .filter(|region| is_region_slug(region))
}

/// The connections a server accepts on `listener`, with Nagle's algorithm off: a
/// response larger than one packet would otherwise wait for the client's delayed
/// acknowledgement (about 40 ms) before its last part is sent.
pub fn accept_without_delay(
    listener: tokio::net::TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|accepted| {
        let stream = accepted?;
        stream.set_nodelay(true)?;
        Ok(stream)
    })
}
