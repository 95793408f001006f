//! The end-to-end harness: a whole federation in this test process, on free ports
//! of 127.0.0.1 below the ephemeral range (`ports`), on SQLite files in a temporary folder or on fresh PostgreSQL
//! databases (one per server, dropped afterwards).

#![allow(dead_code)]

pub mod chapter;
pub mod community;
pub mod ports;
pub mod smtp;

use passage::federation::{Federation, FederationPlan, RegionPlan};
use passage_proto::v1::{
    self, federation_admin_service_client::FederationAdminServiceClient,
    market_service_client::MarketServiceClient, member_service_client::MemberServiceClient,
};
use sea_orm::{ConnectionTrait, Database};
use tonic::transport::Channel;

/// Which database every server of the cluster uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server for tests; `.ci/run` makes sure it is running.
pub fn postgres_admin_url() -> String {
    std::env::var("PASSAGE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh PostgreSQL database for one test, named from `prefix`: its URL and
/// name (to drop with [`drop_postgres_database`]).
pub async fn fresh_postgres_database(prefix: &str) -> (String, String) {
    let admin_url = postgres_admin_url();
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("PostgreSQL must be running on 127.0.0.1:5432 (see .ci/run)");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    (format!("{base}/{name}"), name)
}

/// A fresh database of `backend` with `M`'s schema, for one test: the SQLite
/// file `file` in `dir`, or a new PostgreSQL database named from `prefix`; and
/// its PostgreSQL name, to drop after with [`drop_postgres_database`].
pub async fn fresh_database<M: passage_migrations::MigratorTrait>(
    backend: Backend,
    dir: &tempfile::TempDir,
    file: &str,
    prefix: &str,
) -> (sea_orm::DatabaseConnection, Option<String>) {
    let (url, name) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.path().join(file).display()),
            None,
        ),
        Backend::Postgres => {
            let (url, name) = fresh_postgres_database(prefix).await;
            (url, Some(name))
        }
    };
    let db = passage_migrations::connect::<M>(&url, 4).await.unwrap();
    (db, name)
}

/// Drops a database of [`fresh_postgres_database`], its connections too.
pub async fn drop_postgres_database(name: &str) {
    let admin = Database::connect(postgres_admin_url()).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}

/// A federation of the gateway and the three demo regions, for one test.
pub struct Cluster {
    pub federation: Federation,
    /// Database URL of the gateway and of each region, by name.
    pub database_urls: std::collections::BTreeMap<String, String>,
    backend: Backend,
    databases: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    pub async fn start(backend: Backend) -> Cluster {
        Self::start_with(backend, false, Default::default()).await
    }

    /// A cluster whose nodes send mail as `mail` says (an SMTP server of the
    /// test, or `.eml` files beside the databases).
    pub async fn start_with_mail(
        backend: Backend,
        mail: passage_node::settings::MailSettings,
    ) -> Cluster {
        Self::start_with(backend, false, mail).await
    }

    /// The folder the nodes write `.eml` files to when no SMTP server is set.
    pub fn mail_folder(&self) -> std::path::PathBuf {
        self._dir.path().join("mail")
    }

    /// A cluster whose nodes sync over mTLS with certificates from `passage certs`.
    pub async fn start_secured(backend: Backend) -> Cluster {
        Self::start_with(backend, true, Default::default()).await
    }

    async fn start_with(
        backend: Backend,
        secured: bool,
        mail: passage_node::settings::MailSettings,
    ) -> Cluster {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let mut mail = mail;
        if mail.folder.is_none() {
            mail.folder = Some(dir.path().join("mail"));
        }
        let mut databases = Vec::new();
        let mut database_urls = std::collections::BTreeMap::new();
        let mut database_url = |name: &str| {
            let url = match backend {
                Backend::Sqlite => format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(format!("{name}.db")).display()
                ),
                Backend::Postgres => {
                    let database = format!(
                        "passage_test_{}_{}",
                        name.replace('-', "_"),
                        uuid::Uuid::now_v7().simple()
                    );
                    databases.push(database.clone());
                    let admin = postgres_admin_url();
                    let base = admin
                        .rsplit_once('/')
                        .map(|(base, _)| base)
                        .unwrap_or(&admin);
                    format!("{base}/{database}")
                }
            };
            database_urls.insert(name.to_owned(), url.clone());
            url
        };
        let regions = passage::demo::REGIONS
            .iter()
            .map(|(slug, name, country)| RegionPlan {
                slug: (*slug).to_owned(),
                name: (*name).to_owned(),
                country: (*country).to_owned(),
                database_url: database_url(slug),
                listen: ports::quiet_address(),
                rules_file: Some(rules_copy(dir.path(), slug)),
                metrics_listen: Some(ports::quiet_address()),
                mail: mail.clone(),
            })
            .collect();
        let gateway_database_url = database_url("gateway");
        if backend == Backend::Postgres {
            let admin = Database::connect(postgres_admin_url())
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432 (see .ci/run)");
            for database in &databases {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {database}"))
                    .await
                    .unwrap();
            }
        }
        let federation = Federation::start(FederationPlan {
            gateway_listen: ports::quiet_address(),
            gateway_database_url,
            gateway_metrics_listen: Some(ports::quiet_address()),
            regions,
            tls: secured.then(|| {
                let certs = passage::certs::CertDir(dir.path().join("certs"));
                let slugs: Vec<&str> = passage::demo::REGIONS.iter().map(|r| r.0).collect();
                passage::certs::ensure_demo_certs(&certs, &slugs).unwrap();
                certs
            }),
            keys: passage::certs::CertDir(dir.path().join("keys")),
            demo_credentials: true,
            accounts: test_account_settings(),
        })
        .await
        .unwrap();
        Cluster {
            federation,
            database_urls,
            backend,
            databases,
            _dir: dir,
        }
    }

    /// A channel to the gateway.
    pub async fn gateway(&self) -> Channel {
        self.federation.gateway_channel().await.unwrap()
    }

    /// Requests sealed as the gateway seals a chapter admin's calls to `region`'s
    /// node, for tests that call a node directly.
    pub fn sealed(&self, region: &str) -> passage::credentials::SealedChapterAdmin {
        let keys = passage::certs::CertDir(self._dir.path().join("keys"));
        passage::credentials::SealedChapterAdmin::from_key_file(
            region,
            &keys.region_caller_key(region),
        )
        .unwrap()
    }

    /// The federation's certificates (a cluster started secured has them).
    pub fn certs(&self) -> passage::certs::CertDir {
        passage::certs::CertDir(self._dir.path().join("certs"))
    }

    /// A channel straight to a region's node, as the gateway has one (under TLS
    /// with the gateway's certificate, the only one a node answers).
    pub async fn node(&self, region: &str) -> Channel {
        self.federation
            .node_client_endpoint(region)
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// A member's own token, for their home `region`, as the gateway issues one.
    pub async fn member_token(&self, region: &str, member_id: &str) -> String {
        let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(
            &self.database_urls["gateway"],
            1,
        )
        .await
        .unwrap();
        let regions: Vec<String> = passage::demo::REGIONS
            .iter()
            .map(|r| r.0.to_owned())
            .collect();
        passage_gateway::tokens::TokenStore::new(db)
            .issue(
                passage_gateway::tokens::TokenGrant {
                    role: passage_server::access::Role::Member,
                    region: Some(region.to_owned()),
                    member_id: Some(member_id.to_owned()),
                    organisation_id: None,
                    label: format!("member {member_id}'s own token"),
                    expires_at: chrono::Utc::now() + chrono::Duration::days(1),
                },
                &regions,
            )
            .await
            .unwrap()
            .token
    }

    /// Member `member_id` of Amsterdam, invited by its chapter admin as `login`,
    /// accepts with `passphrase` and is signed in: her session. The directory knows
    /// a member a moment after she was registered, so the invitation is retried
    /// until it does (ten seconds at most).
    pub async fn amsterdam_member_session(
        &self,
        login: &str,
        member_id: &str,
        passphrase: &str,
    ) -> String {
        use passage_proto::v1::account_service_client::AccountServiceClient;
        let invitation = self.invite_member("amsterdam", login, member_id, "").await;
        AccountServiceClient::new(self.gateway().await)
            .accept_invitation(v1::AcceptInvitationRequest {
                invitation_code: invitation.invitation_code,
                passphrase: passphrase.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .session
    }

    /// `region`'s chapter admin invites its member `member_id` to sign in as
    /// `login`, speaking `language`. A member registered a moment ago is known to
    /// the gateway once the region has told it, so a NotFound is asked again for up
    /// to ten seconds.
    pub async fn invite_member(
        &self,
        region: &str,
        login: &str,
        member_id: &str,
        language: &str,
    ) -> v1::InviteAccountResponse {
        use passage_proto::v1::account_service_client::AccountServiceClient;
        let mut accounts = AccountServiceClient::new(self.gateway().await);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let invite = v1::InviteAccountRequest {
                login: login.into(),
                kind: v1::AccountKind::Member as i32,
                region: region.into(),
                member_id: member_id.into(),
                language: language.into(),
                organisation_id: String::new(),
            };
            match accounts.invite_account(to(region, invite)).await {
                Ok(invitation) => return invitation.into_inner(),
                Err(status) if status.code() == tonic::Code::NotFound => {
                    assert!(tokio::time::Instant::now() < deadline, "{status:?}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(status) => panic!("inviting {login}: {status:?}"),
            }
        }
    }

    /// A token for a contact of organisation `organisation_id` of `region`, as
    /// `passage admin token create --role organisation` makes one.
    pub async fn organisation_token(&self, region: &str, organisation_id: &str) -> String {
        let db = passage_migrations::connect::<passage_migrations::GatewayMigrator>(
            &self.database_urls["gateway"],
            1,
        )
        .await
        .unwrap();
        let regions: Vec<String> = passage::demo::REGIONS
            .iter()
            .map(|r| r.0.to_owned())
            .collect();
        passage_gateway::tokens::TokenStore::new(db)
            .issue(
                passage_gateway::tokens::TokenGrant {
                    role: passage_server::access::Role::Organisation,
                    region: Some(region.to_owned()),
                    member_id: None,
                    organisation_id: Some(organisation_id.to_owned()),
                    label: format!("a contact of organisation {organisation_id}"),
                    expires_at: chrono::Utc::now() + chrono::Duration::days(1),
                },
                &regions,
            )
            .await
            .unwrap()
            .token
    }

    /// A contact of organisation `organisation_id` of Amsterdam, invited by its
    /// chapter admin as `login`, accepts with `passphrase` and is signed in: their
    /// session.
    pub async fn amsterdam_organisation_session(
        &self,
        login: &str,
        organisation_id: &str,
        passphrase: &str,
    ) -> String {
        use passage_proto::v1::account_service_client::AccountServiceClient;
        let mut accounts = AccountServiceClient::new(self.gateway().await);
        let invite = v1::InviteAccountRequest {
            login: login.into(),
            kind: v1::AccountKind::Organisation as i32,
            region: "amsterdam".into(),
            member_id: String::new(),
            language: String::new(),
            organisation_id: organisation_id.into(),
        };
        let invitation = accounts
            .invite_account(to("amsterdam", invite))
            .await
            .unwrap()
            .into_inner();
        accounts
            .accept_invitation(v1::AcceptInvitationRequest {
                invitation_code: invitation.invitation_code,
                passphrase: passphrase.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .session
    }

    /// The member (at home in `home`) confirms, with their own token, that they move
    /// to `destination`.
    pub async fn member_confirms_move(
        &self,
        home: &str,
        member_id: &str,
        destination: &str,
    ) -> Result<v1::ConfirmMoveResponse, tonic::Status> {
        let token = self.member_token(home, member_id).await;
        let mut request = to(
            home,
            v1::ConfirmMoveRequest {
                destination_region: destination.to_owned(),
            },
        );
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        passage_proto::v1::move_service_client::MoveServiceClient::new(self.gateway().await)
            .confirm_move(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// The member's move as they see it on their own page (`MoveService.GetMyMove`
    /// with their own token, for their home region `home`).
    pub async fn member_move(&self, home: &str, member_id: &str) -> v1::MyMove {
        let token = self.member_token(home, member_id).await;
        let mut request = to(home, v1::GetMyMoveRequest {});
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        passage_proto::v1::move_service_client::MoveServiceClient::new(self.gateway().await)
            .get_my_move(request)
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn members_via_gateway(&self) -> MemberServiceClient<Channel> {
        MemberServiceClient::new(self.gateway().await)
    }

    pub async fn market_via_gateway(&self) -> MarketServiceClient<Channel> {
        MarketServiceClient::new(self.gateway().await)
    }

    /// Stops every server and drops the test's PostgreSQL databases.
    pub async fn stop(self) {
        self.federation.shutdown().await.unwrap();
        if self.backend == Backend::Postgres {
            let admin = Database::connect(postgres_admin_url()).await.unwrap();
            for database in &self.databases {
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                    .await
                    .unwrap();
            }
        }
    }
}

/// The gateway's `[accounts]` settings in tests: the shipped ones, but a lock of
/// seconds and wrong passphrases answered at once, so that tests need not wait.
pub fn test_account_settings() -> passage_gateway::settings::AccountSettings {
    passage_gateway::settings::AccountSettings {
        lock_seconds: TEST_LOCK_SECONDS,
        failure_delay_ms: 5,
        ..Default::default()
    }
}

/// How long a lock lasts in tests.
pub const TEST_LOCK_SECONDS: u64 = 3;

fn tracing_subscriber_init() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_test_writer()
        .try_init()
}

/// Polls `check` until it holds or ten seconds pass: for changes that travel
/// between regions, which arrive in milliseconds but not at once.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits until the gateway reports `region`'s sync status as `check` wants it.
pub async fn until_region_status(
    gateway: &Channel,
    region: &str,
    what: &str,
    check: impl Fn(&v1::RegionSyncStatus) -> bool,
) {
    let admin = FederationAdminServiceClient::new(gateway.clone());
    let check = &check;
    eventually(what, || {
        let mut admin = admin.clone();
        async move {
            admin
                .get_sync_status(operator(v1::GetSyncStatusRequest {}))
                .await
                .unwrap()
                .into_inner()
                .regions
                .iter()
                .any(|status| status.region == region && check(status))
        }
    })
    .await;
}

/// A request as the demo's operator sends it (federation administration).
pub fn operator<T>(message: T) -> tonic::Request<T> {
    passage::credentials::as_operator(message).unwrap()
}

/// A request as the demo's central analyst sends it (global statistics).
pub fn analyst<T>(message: T) -> tonic::Request<T> {
    passage::credentials::as_analyst(message).unwrap()
}

/// A request routed by the gateway to `region`, as its chapter admin sends it.
pub fn to<T>(region: &str, message: T) -> tonic::Request<T> {
    passage::demo::in_region(region, message).unwrap()
}

/// A newcomer as a chapter admin would register her.
pub fn amira() -> v1::Member {
    v1::Member {
        profile: Some(v1::SharedProfile {
            display_name: "Amira Haddad".into(),
            profession: "civil engineer".into(),
            sectors: vec!["construction".into(), "engineering".into()],
            skills: vec!["AutoCAD".into(), "structural calculations".into()],
            languages: vec!["ar".into(), "en".into(), "nl".into()],
            education_level: v1::EducationLevel::Master as i32,
            experience_years: 8,
            available_hours_per_week: 24,
            share_across_regions: true,
            ..Default::default()
        }),
        regional: Some(v1::RegionalRecord {
            role: v1::MemberRole::Newcomer as i32,
            residence_status: v1::ResidenceStatus::StatusHolder as i32,
            asylum_application_date: "2023-03-14".into(),
            permits: vec![],
            civic_integration: v1::CivicIntegration::InProgress as i32,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Another member, with a different name.
pub fn member_named(name: &str, role: v1::MemberRole) -> v1::Member {
    let mut member = amira();
    if let Some(profile) = member.profile.as_mut() {
        profile.display_name = name.into();
    }
    if let Some(regional) = member.regional.as_mut() {
        regional.role = role as i32;
    }
    member
}

/// Runs a scenario once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// The member as `region` holds them, if it holds them.
pub async fn profile_in(
    client: &mut MemberServiceClient<Channel>,
    region: &str,
    id: &str,
) -> Option<v1::Member> {
    client
        .get_member(to(region, v1::GetMemberRequest { id: id.into() }))
        .await
        .ok()
        .map(tonic::Response::into_inner)
}

/// Registers `member` in `region`.
pub async fn create(
    client: &mut MemberServiceClient<Channel>,
    region: &str,
    member: v1::Member,
) -> v1::Member {
    client
        .create_member(to(
            region,
            v1::CreateMemberRequest {
                member: Some(member),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Imports `file`, a members CSV, into `region` through the gateway (applied);
/// the report, once every line was written.
pub async fn import_members(gateway: Channel, region: &str, file: String) -> v1::ImportReport {
    let report = v1::spreadsheet_service_client::SpreadsheetServiceClient::new(gateway)
        .import_records(to(
            region,
            v1::ImportRecordsRequest {
                kind: v1::ImportKind::Members as i32,
                file: file.into_bytes(),
                apply: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(report.applied && report.refused.is_empty(), "{report:?}");
    report
}

/// A copy of the region's shipped rules in the test's folder, which a test may
/// edit and reload ([`Cluster::rules_file`]).
fn rules_copy(dir: &std::path::Path, slug: &str) -> std::path::PathBuf {
    let copy = dir.join(format!("{slug}.rules.toml"));
    std::fs::copy(shipped_rules(slug), &copy).unwrap();
    copy
}

impl Cluster {
    /// The rules file the region's node reads (a copy of the shipped one).
    pub fn rules_file(&self, slug: &str) -> std::path::PathBuf {
        self._dir.path().join(format!("{slug}.rules.toml"))
    }
}

/// The rules file a region ships with (deploy/regions/<slug>.rules.toml).
pub fn shipped_rules(slug: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/regions")
        .join(format!("{slug}.rules.toml"))
}

/// GETs `url` (plain HTTP/1.1, such as a metrics or dashboard page) and returns the
/// body of its 200 answer.
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "GET {url}: {response}"
    );
    response.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// A chapter admin of `region` opens a case about `member` and a caseworker adds
/// `note` to it.
pub async fn case_with_note(gateway: &Channel, region: &str, member: &str, note: &str) {
    use passage_proto::v1::case_service_client::CaseServiceClient;
    let mut cases = CaseServiceClient::new(gateway.clone());
    let case = cases
        .open_case(to(
            region,
            v1::OpenCaseRequest {
                r#case: Some(v1::Case {
                    subject: Some(v1::case::Subject::MemberId(member.to_owned())),
                    title: "Asylum interview".into(),
                    caseworker: "Dana Ruiz".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    cases
        .add_case_note(to(
            region,
            v1::AddCaseNoteRequest {
                case_id: case.id,
                author: "Dana Ruiz".into(),
                text: note.into(),
            },
        ))
        .await
        .unwrap();
}
